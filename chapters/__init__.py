"""Runnable chapters: `python -m chapters` lists them; `python -m chapters.<name>` runs one."""

# name -> one-line description; read by `python -m chapters` without importing TensorFlow
CHAPTERS = {
    "ch1_principles": "Principles: Playground demos, init, dying ReLU, OR/XOR by hand",
    "ch2_inside": "Inside a neural network: linear nets on COVID-19 case data",
    "ch3_depth_width": "Depth vs width on MNIST under hidden-unit budgets",
    "ch4_cnn": "CNNs on MNIST: padding, parameters, pooling, noise, tuning, dropout sweep",
}
