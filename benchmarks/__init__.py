"""talkbase's benchmarks, as importable modules: the commands run their fresh processes as `python -m benchmarks.X`.

ROOT is this checkout; a command run as a script puts it on sys.path so that `import benchmarks` works.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
