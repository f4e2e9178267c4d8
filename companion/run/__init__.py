"""Running a chapter: the problem runner, the run folder and its files, progress, notebooks.

`runner` (flags, problems, seeds), `folder` (the run folder: who wrote which file, reruns,
--resume, --fresh), `files` and `atomic` (whole-file writes), `lock` (one run per folder),
`report` (report.md from the sections), `markdown` (tables), `progress` (epoch and trial
lines), `env` (versions, TensorFlow's start-up noise), `lazy` (a chapter package's names),
`jupyter` (a run's report inline). Nothing here imports Keras: a chapter starts fast.
"""
