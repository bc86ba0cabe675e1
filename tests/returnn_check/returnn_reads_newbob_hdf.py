"""Check that RETURNN's own HDFDataset reads HDF files written by newbob's HDFWriter and makes
exactly the batches of tests/fixtures/returnn_data/pub_batch_cases.jsonl from them.

newbob's round-trip test (datasets/hdf_roundtrip_test.ts) rewrites pub_a/b/c.hdf with HDFWriter
into .tmp/datasets/*_rewritten.hdf. Then, with a RETURNN checkout in .tmp/returnn
(git --git-dir=<returnn mirror> archive HEAD | tar -x -C .tmp/returnn):

    /usr/bin/python3 tests/returnn_check/returnn_reads_newbob_hdf.py

It runs every case on the rewritten files (RETURNN's HDFDataset, init_seq_order(epoch),
generate_batches(recurrent_net=True, ...)) and compares slices and value sums with the fixture.
"""
import json
import sys

sys.path.insert(0, ".tmp/returnn")
import numpy  # noqa: E402
from returnn.datasets.hdf import HDFDataset  # noqa: E402
from returnn.log import log  # noqa: E402

log.initialize(verbosity=[0])
fixture = "tests/fixtures/returnn_data/pub_batch_cases.jsonl"
checked = 0
for line in open(fixture):
    case = json.loads(line)
    kw = dict(case["dataset"])
    kw.pop("class")
    files = [".tmp/datasets/" + f.replace(".hdf", "_rewritten.hdf") for f in case["files"]]
    ds = HDFDataset(files=files, **kw)
    ds.initialize()
    for epoch, expected in case["epochs"].items():
        ds.init_seq_order(epoch=int(epoch))
        b = dict(case["batching"])
        used = b.pop("used_data_keys")
        gen = ds.generate_batches(recurrent_net=True, used_data_keys=set(used), **b)
        got = []
        while gen.has_more():
            (batch,) = gen.peek_next_n(1)
            rows = []
            for s in batch.seqs:
                ds.load_seqs(s.seq_idx, s.seq_idx + 1)
                start = {k: int(s.seq_start_frame[k]) for k in used}
                end = {k: int(s.seq_end_frame[k]) for k in used}
                sums = {k: float(numpy.sum(ds.get_data(s.seq_idx, k)[start[k]:end[k]], dtype="float64")) for k in used}
                rows.append([ds.get_tag(s.seq_idx), start, end, sums])
            got.append(rows)
            gen.advance(1)
        assert len(got) == len(expected), (case["id"], epoch, len(got), len(expected))
        for gb, eb in zip(got, expected):
            assert [r[:3] for r in gb] == [r[:3] for r in eb], (case["id"], epoch)
            for gr, er in zip(gb, eb):
                for k, v in er[3].items():
                    assert abs(gr[3][k] - v) <= 1e-9 * max(1.0, abs(v)), (case["id"], k, gr[3][k], v)
    checked += 1
print("RETURNN read newbob's files: %d/30 cases identical" % checked)
