"""Runs notebooks/ntk_rope.ipynb end to end on a real kernel, on a copy, with results in a temp file."""

import json
import os
from pathlib import Path

import nbformat
from ipykernel.kernelspec import write_kernel_spec
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
METHODS = ("rope", "pi", "ntk", "dynamic", "seed", "yarn")
LABELS = (
    "plain RoPE",
    "position interpolation",
    "NTK-aware (static)",
    "dynamic NTK",
    "seed patch",
    "YaRN",
)
MULTIPLES = (1, 2, 4, 8)


def run_notebook(tmp_path):
    """Execute a copy with cwd = notebooks/ on a kernel running this interpreter (the venv's)."""
    results = tmp_path / "results.json"
    nb = nbformat.read(NOTEBOOKS / "ntk_rope.ipynb", as_version=4)
    write_kernel_spec(tmp_path / "kernels" / "python3")  # argv[0] = sys.executable
    km = KernelManager(
        kernel_name="python3", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")])
    )
    client = NotebookClient(nb, km=km, timeout=600, resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute(env=dict(os.environ, NTK_RESULTS_PATH=str(results), CUDA_VISIBLE_DEVICES=""))
    return nb, results


def test_notebook_runs_and_reports(tmp_path):
    committed = (NOTEBOOKS / "ntk_rope.ipynb").read_bytes()
    committed_results = (NOTEBOOKS / "ntk_rope_results.json").read_bytes()

    nb, results_file = run_notebook(tmp_path)

    text = "".join(
        out.get("text", "") for c in nb.cells if c.cell_type == "code" for out in c.get("outputs", [])
    )
    assert "natural text: perplexity / next-token accuracy" in text
    assert "repeated text: perplexity / next-token accuracy" in text
    for label in LABELS:
        assert label in text
    for length in (128 * m for m in MULTIPLES):
        assert f"= {length}" in text
    assert "kexue.fm/archives/9675" in text
    assert "n/a" in text  # the seed patch cannot run on a 128-token model
    pngs = [
        out for c in nb.cells if c.cell_type == "code" for out in c.get("outputs", [])
        if "image/png" in out.get("data", {})
    ]
    assert pngs

    results = json.loads(results_file.read_text(encoding="utf-8"))
    assert results["device"] == "cpu" and results["dtype"] == "float32"
    assert results["torch"] and results["transformers"]
    assert results["model"].endswith("tiny-llama-bytes")
    records = results["records"]
    keys = {(r["method"], r["multiple"], r["kind"]) for r in records}
    assert keys == {(m, x, k) for m in METHODS for x in MULTIPLES for k in ("natural", "repeated")}
    for r in records:
        if r["applicable"]:
            assert r["perplexity"] > 1 and 0 <= r["accuracy"] <= 1
        else:
            assert r["method"] == "seed" and r["multiple"] > 1 and r["perplexity"] is None

    assert (NOTEBOOKS / "ntk_rope.ipynb").read_bytes() == committed
    assert (NOTEBOOKS / "ntk_rope_results.json").read_bytes() == committed_results
