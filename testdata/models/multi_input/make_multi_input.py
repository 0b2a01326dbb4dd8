#!/usr/bin/python3
"""Builds the multi-input test models and their data (run from anywhere; writes beside this script).

A tiny BERT-like text head, opset 13:
  input_ids      INT64 [N, 8]  token ids 0..63
  attention_mask INT64 [N, 8]  1 for a real token, 0 for padding
  scale          FLOAT [1]     a constant input (the job gives it in engine.constant_inputs)
  -> embedding Gather, masked mean over the tokens, MatMul+Relu, MatMul, times scale
  outputs: logits FLOAT [N, 4], hidden FLOAT [N, 32]

multi_input.onnx has a dynamic batch dimension N; multi_input_batch1.onnx is the same graph with N fixed to 1
(as many exporters write it). data.npz holds input_ids and attention_mask of 48 samples; targets.npy the FP32
logits at scale 0.5 plus a little noise (float32 [48, 4]): a regression annotation, not a class label.
bad_*.npz: the same data with one defect each (an input missing, int32 ids, 6 tokens, 40 masks for 48 ids).
Deterministic (numpy seed 0); needs python3-onnx and numpy only.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
VOCAB, TOKENS, WIDTH, HIDDEN, CLASSES, SAMPLES = 64, 8, 16, 32, 4, 48

rng = np.random.RandomState(0)
embedding = rng.normal(0, 1, (VOCAB, WIDTH)).astype(np.float32)
w1 = rng.normal(0, 0.4, (WIDTH, HIDDEN)).astype(np.float32)
b1 = rng.normal(0, 0.1, (HIDDEN,)).astype(np.float32)
w2 = rng.normal(0, 0.4, (HIDDEN, CLASSES)).astype(np.float32)
b2 = rng.normal(0, 0.1, (CLASSES,)).astype(np.float32)


def model(batch):
    n = batch if batch is not None else "N"
    inits = [numpy_helper.from_array(a, name) for a, name in [
        (embedding, "embedding"), (w1, "w1"), (b1, "b1"), (w2, "w2"), (b2, "b2"),
        (np.array([2], np.int64), "axis_2"), (np.array([1], np.int64), "axis_1")]]
    nodes = [
        helper.make_node("Gather", ["embedding", "input_ids"], ["embedded"], name="embed"),
        helper.make_node("Cast", ["attention_mask"], ["mask"], to=TensorProto.FLOAT, name="mask_float"),
        helper.make_node("Unsqueeze", ["mask", "axis_2"], ["mask3"], name="mask_unsqueeze"),
        helper.make_node("Mul", ["embedded", "mask3"], ["masked"], name="mask_apply"),
        helper.make_node("ReduceSum", ["masked", "axis_1"], ["summed"], keepdims=0, name="token_sum"),
        helper.make_node("ReduceSum", ["mask", "axis_1"], ["count"], keepdims=1, name="token_count"),
        helper.make_node("Div", ["summed", "count"], ["pooled"], name="mean"),
        helper.make_node("MatMul", ["pooled", "w1"], ["h0"], name="dense1"),
        helper.make_node("Add", ["h0", "b1"], ["h1"], name="dense1_bias"),
        helper.make_node("Relu", ["h1"], ["hidden"], name="relu"),
        helper.make_node("MatMul", ["hidden", "w2"], ["l0"], name="dense2"),
        helper.make_node("Add", ["l0", "b2"], ["l1"], name="dense2_bias"),
        helper.make_node("Mul", ["l1", "scale"], ["logits"], name="scaled"),
    ]
    graph = helper.make_graph(nodes, "multi_input", [
        helper.make_tensor_value_info("input_ids", TensorProto.INT64, [n, TOKENS]),
        helper.make_tensor_value_info("attention_mask", TensorProto.INT64, [n, TOKENS]),
        helper.make_tensor_value_info("scale", TensorProto.FLOAT, [1]),
    ], [
        helper.make_tensor_value_info("logits", TensorProto.FLOAT, [n, CLASSES]),
        helper.make_tensor_value_info("hidden", TensorProto.FLOAT, [n, HIDDEN]),
    ], inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="pot4j-testdata")
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def forward(ids, mask, scale):
    e = embedding[ids] * mask[:, :, None]
    pooled = e.sum(1) / mask.sum(1, keepdims=True)
    hidden = np.maximum(pooled @ w1 + b1, 0)
    return (hidden @ w2 + b2) * scale


onnx.save(model(None), os.path.join(HERE, "multi_input.onnx"))
onnx.save(model(1), os.path.join(HERE, "multi_input_batch1.onnx"))
ids = rng.randint(1, VOCAB, (SAMPLES, TOKENS)).astype(np.int64)
lengths = rng.randint(3, TOKENS + 1, SAMPLES)
mask = (np.arange(TOKENS)[None, :] < lengths[:, None]).astype(np.int64)
ids = ids * mask
np.savez(os.path.join(HERE, "data.npz"), input_ids=ids, attention_mask=mask)
targets = forward(ids, mask.astype(np.float32), 0.5) + rng.normal(0, 0.01, (SAMPLES, CLASSES))
np.save(os.path.join(HERE, "targets.npy"), targets.astype(np.float32))

# bad data, each with one defect a job must name before it writes anything
np.savez(os.path.join(HERE, "bad_missing_input.npz"), input_ids=ids)
np.savez(os.path.join(HERE, "bad_dtype.npz"), input_ids=ids.astype(np.int32), attention_mask=mask)
np.savez(os.path.join(HERE, "bad_shape.npz"), input_ids=ids[:, :6], attention_mask=mask[:, :6])
np.savez(os.path.join(HERE, "bad_sample_count.npz"), input_ids=ids, attention_mask=mask[:40])
