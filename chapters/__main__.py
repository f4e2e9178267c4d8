"""List the chapters (fast: imports no TensorFlow)."""

from chapters import CHAPTERS


def main() -> None:
    print("Chapters (run one with: python -m chapters.<name> [--quick]):")
    for name, line in CHAPTERS.items():
        print(f"  {name:<17} {line}")


if __name__ == "__main__":
    main()
