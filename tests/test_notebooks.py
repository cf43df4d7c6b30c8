"""The notebooks run top to bottom (nbclient, kernel ``python3``) in a temporary directory.

After the notebook's own cells, the test appends one probe cell that runs in the same kernel and prints a JSON
line of values read from the notebook's state; each test checks a number a broken notebook or API would miss.
"""
import json
import os

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "notebooks")
_MARKER = "NOTEBOOK_PROBE "

PROBES = {
    # The reloaded SavedModel gives the same images as the model, and the sample grid was written.
    "01_quickstart.ipynb": """
import json
print("NOTEBOOK_PROBE " + json.dumps({
    "max_abs_diff": float(np.abs(serve(z=tf.constant(z))["images"].numpy() - model.generate(z)).max()),
    "reloaded_shape": list(reloaded_images.shape),
    "grid_exists": os.path.exists(grid.last_path),
    "fid": float(scores["fid"]), "kid": float(scores["kid"]),
    "history_keys": sorted(history.history)}))
""",
    # Both custom variants report their own figures through History; the .keras round trip restores the class.
    "02_extending.ipynb": """
import json
print("NOTEBOOK_PROBE " + json.dumps({
    "hinge_keys": sorted(hinge_history.history), "simultaneous_keys": sorted(simultaneous_history.history),
    "hinge_loss_name": hinge_model.loss_pair.name, "restored_class": type(restored).__name__,
    "restored_max_diff": float(np.abs(restored.generate(z) - hinge_model.generate(z)).max()),
    "simultaneous_steps": int(simultaneous_model.generator_steps.numpy()),
    "g_grad_norm": [float(v) for v in simultaneous_history.history["g_grad_norm"]]}))
""",
    # Projected Sphere GAN features lie on S^2; the GN-GAN critic is bounded; the noise was annealed.
    "03_seed_methods.ipynb": """
import json
print("NOTEBOOK_PROBE " + json.dumps({
    "sphere_radius_error": max(float(np.abs(np.linalg.norm(p, axis=1) - 1).max()) for p in on_sphere.values()),
    "sphere_dim": int(on_sphere["real"].shape[1]),
    "gn_max_abs": float(np.abs(normalized).max()), "raw_max_abs": float(np.abs(raw).max()),
    "noise_stddev": [float(v) for v in histories["instance noise"].history["instance_noise_stddev"]],
    "noise_now": float(noisy.instance_noise_stddev.numpy()),
    "realness_anchor_sums": [float(anchor0.sum()), float(anchor1.sum())],
    "sphere_keys": sorted(histories["Sphere GAN"].history)}))
""",
    # Two replicas were used; the mixed-precision run computed in bfloat16 and the policy was restored.
    "04_data_devices_precision.ipynb": """
import json
print("NOTEBOOK_PROBE " + json.dumps({
    "replicas": int(strategy.num_replicas_in_sync),
    "mirrored_steps": int(mirrored.generator_steps.numpy()),
    "mirrored_losses": [float(v) for v in mirrored_history.history["d_loss"]],
    "mixed_compute_dtypes": sorted({layer.compute_dtype for layer in mixed.generator.layers}),
    "mixed_steps": int(mixed.generator_steps.numpy()),
    "policy_after": keras.mixed_precision.global_policy().name,
    "tfds_shape": list(tfds_mnist.element_spec.shape), "folder_shape": list(folder.element_spec.shape)}))
""",
    # Both stages ran, stage 1 stayed frozen while stage 2 trained, stage 2 follows z1, the export matches.
    "05_stacked_gans.ipynb": """
import json
print("NOTEBOOK_PROBE " + json.dumps({
    "low_shape": list(low_images.shape), "high_shape": list(high_images.shape),
    "stage1_steps": int(stage1.generator_steps.numpy()), "stage2_steps": int(stage2.generator_steps.numpy()),
    "stage1_change": stage1_change, "z1_effect": z1_effect, "z2_effect": z2_effect, "served_diff": served_diff,
    "trainable": [len(chain.trainable_weights), len(refiner.trainable_weights)],
    "finite": bool(np.isfinite(high_images).all())}))
""",
    # Both conditional models trained; the classes asked for are the classes drawn, in the model and its export.
    "06_conditional_generation.ipynb": """
import json
print("NOTEBOOK_PROBE " + json.dumps({
    "batch_labels": [int(v) for v in labels.numpy()], "cgan_steps": int(cgan.generator_steps.numpy()),
    "wgangp_steps": int(wgangp.generator_steps.numpy()), "wgangp_keys": sorted(wgangp_history.history),
    "per_class_shape": list(per_class.shape), "served_diff": float(np.abs(served.numpy()
                                                               - cgan.generate(z, labels=[7, 7, 1, 2])).max()),
    "sampled_labels": [int(v) for v in sampled["labels"].numpy()],
    "sampled_diff": float(np.abs(sampled["images"].numpy() - cgan.generate(sampled["z"].numpy(), labels=7)).max()),
    "accuracy": accuracy["accuracy"], "per_class_accuracy": accuracy["per_class_accuracy"],
    "intra_fid": intra["intra_class_fid"]}))
""",
}


def run_notebook(name, tmp_path):
    """Executes notebook ``name`` plus its probe cell in ``tmp_path``; returns the probe's JSON values."""
    nb = nbformat.read(os.path.join(NOTEBOOKS, name), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBES[name]))
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError, with the cell and traceback, on the first failing cell
    text = "".join(output.get("text", "") for output in nb.cells[-1].outputs if output.output_type == "stream")
    lines = [line for line in text.splitlines() if line.startswith(_MARKER)]
    assert lines, f"the probe cell printed no {_MARKER!r} line: {text!r}"
    return json.loads(lines[-1][len(_MARKER):])


def test_every_notebook_is_tested_and_stored_without_outputs():
    stored = sorted(name for name in os.listdir(NOTEBOOKS) if name.endswith(".ipynb"))
    assert stored == sorted(PROBES)
    for name in stored:
        nb = nbformat.read(os.path.join(NOTEBOOKS, name), as_version=4)
        nbformat.validate(nb)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, f"{name} holds outputs"


def test_quickstart(tmp_path):
    probe = run_notebook("01_quickstart.ipynb", tmp_path)
    assert probe["max_abs_diff"] == 0.0
    assert probe["reloaded_shape"] == [8, 28, 28, 1]
    assert probe["grid_exists"]
    assert probe["fid"] > 0 and probe["kid"] == probe["kid"]  # finite, not NaN
    assert {"d_loss", "g_loss", "gp", "wasserstein_estimate"} <= set(probe["history_keys"])
    assert (tmp_path / "generator_savedmodel" / "saved_model.pb").exists()


def test_extending(tmp_path):
    probe = run_notebook("02_extending.ipynb", tmp_path)
    assert probe["hinge_keys"] == ["critic_fake", "critic_real", "d_loss", "g_loss", "loss"]
    assert probe["simultaneous_keys"] == ["d_grad_norm", "d_loss", "g_grad_norm", "g_loss", "loss"]
    assert probe["hinge_loss_name"] == "squared_hinge"
    assert probe["restored_class"] == "SquaredHingeGAN" and probe["restored_max_diff"] == 0.0
    assert probe["simultaneous_steps"] == 200
    assert all(v > 0 for v in probe["g_grad_norm"])


def test_seed_methods(tmp_path):
    probe = run_notebook("03_seed_methods.ipynb", tmp_path)
    assert probe["sphere_dim"] == 3 and probe["sphere_radius_error"] < 1e-5
    assert probe["gn_max_abs"] <= 1.0 and probe["raw_max_abs"] > 0
    # sigma(t) = 0.2 (1 - t / 600) at generator steps t = 0..599; History holds the mean over each epoch's
    # 200 steps, i.e. sigma at the epoch's mean step 200 e + 99.5.
    expected = [0.2 * (1 - (200 * e + 99.5) / 600) for e in range(3)]
    assert probe["noise_stddev"] == pytest.approx(expected, abs=1e-5)
    assert probe["realness_anchor_sums"] == pytest.approx([1.0, 1.0], abs=1e-5)
    assert {"d1_real", "d1_fake", "d2_real", "d3_fake"} <= set(probe["sphere_keys"])


def test_data_devices_precision(tmp_path):
    probe = run_notebook("04_data_devices_precision.ipynb", tmp_path)
    assert probe["replicas"] == 2 and probe["mirrored_steps"] == 6
    assert all(v == v and v != 0.0 for v in probe["mirrored_losses"])  # a replica result lost reads 0.0
    assert "bfloat16" in probe["mixed_compute_dtypes"] and probe["mixed_steps"] == 3
    assert probe["policy_after"] == "float32"
    assert probe["tfds_shape"] == [32, 28, 28, 1] and probe["folder_shape"] == [32, 32, 32, 1]


def test_stacked_gans(tmp_path):
    probe = run_notebook("05_stacked_gans.ipynb", tmp_path)
    assert probe["low_shape"] == [8, 14, 14, 1] and probe["high_shape"] == [8, 28, 28, 1]
    assert probe["stage1_steps"] == 120 and probe["stage2_steps"] == 60
    assert probe["stage1_change"] == 0.0 and probe["trainable"][0] == probe["trainable"][1]
    assert probe["z1_effect"] > 0 and probe["served_diff"] == 0.0 and probe["finite"]
    assert (tmp_path / "stacked_generator" / "saved_model.pb").exists()


def test_conditional_generation(tmp_path):
    probe = run_notebook("06_conditional_generation.ipynb", tmp_path)
    assert len(probe["batch_labels"]) == 32 and set(probe["batch_labels"]) <= set(range(10))
    assert probe["cgan_steps"] == 4 and probe["wgangp_steps"] == 3 and "gp" in probe["wgangp_keys"]
    assert probe["per_class_shape"] == [60, 28, 28, 1]
    assert probe["served_diff"] == 0.0 and probe["sampled_diff"] == 0.0 and probe["sampled_labels"] == [7] * 5
    assert 0.0 <= probe["accuracy"] <= 1.0 and len(probe["per_class_accuracy"]) == 10
    assert probe["intra_fid"] > 0
    assert (tmp_path / "per_class.png").exists() and (tmp_path / "cgan_generator" / "saved_model.pb").exists()
