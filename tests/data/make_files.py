#!/usr/bin/env python3
"""Small data files for tests/test_data.c: good ones, and broken ones with the message
each must produce (bad.tsv: loader, first path, second path, expected words; paths are
relative to this folder, '-' for none).

Standard library only:  python3 tests/data/make_files.py
"""
import gzip
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
GOOD, BAD = os.path.join(HERE, "good"), os.path.join(HERE, "bad")


def write(folder, name, data):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def idx(dims, values, kind=0x08):
    return bytes([0, 0, kind, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + bytes(values)


def npy(descr, shape, payload, fortran=False, version=1):
    header = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (
        descr, "True" if fortran else "False", repr(tuple(shape)))
    width = 2 if version == 1 else 4
    pad = 64 - (6 + 2 + width + len(header) + 1) % 64
    header += " " * pad + "\n"
    return (b"\x93NUMPY" + bytes([version, 0]) + struct.pack("<H" if width == 2 else "<I", len(header))
            + header.encode() + payload)


def main():
    images = idx([3, 2, 2], range(12))
    labels = idx([3], [2, 0, 1])
    write(GOOD, "images.idx", images)
    write(GOOD, "labels.idx", labels)
    write(GOOD, "images.idx.gz", gzip.compress(images))
    write(GOOD, "labels.idx.gz", gzip.compress(labels))
    write(GOOD, "named.csv", b'a,b,"kind, quoted"\n1.5,2,setosa\n\n3,4e-1,virginica\r\n-1, 7 ,setosa\n')
    write(GOOD, "plain.csv", b"0.5,1,2\n1.5,0,1\n")
    write(GOOD, "x_f4.npy", npy("<f4", (3, 2), struct.pack("<6f", 1, 2, 3, 4, 5, 6)))
    write(GOOD, "x_f8.npy", npy("<f8", (3, 1, 2), struct.pack("<6d", 1, 2, 3, 4, 5, 6), version=2))
    write(GOOD, "x_u1.npy", npy("|u1", (3, 2), bytes([1, 2, 3, 4, 5, 255])))
    write(GOOD, "y_i8.npy", npy("<i8", (3,), struct.pack("<3q", 1, 0, 4)))
    write(GOOD, "y_f8.npy", npy("<f8", (3,), struct.pack("<3d", 1, 0, 4)))

    cases = []

    def bad(loader, name, data, expected, second=None):
        """A broken file `name`; `second` (in good/) is the loader's other file, and a
        second starting with '<' goes first (the broken file is then the labels)."""
        write(BAD, name, data if data is not None else b"")
        other = second.lstrip("<") if second else None
        paths = ["bad/" + name, other if other and other.startswith("bad/")
                 else "good/" + other if other else "-"]
        if second and second.startswith("<"):
            paths.reverse()
        cases.append((loader, paths[0], paths[1], expected))

    gz = gzip.compress(images)
    bad("idx", "magic.idx", b"\x01\x02\x08\x03" + images[4:], "offset 0: not an IDX file", "labels.idx")
    bad("idx", "type.idx", idx([3, 2, 2], range(12), kind=0x0D), "offset 2: IDX type 0x0d is not supported", "labels.idx")
    bad("idx", "dims.idx", idx([12], range(12)), "offset 3: 1 dimensions; expected 2 or more", "labels.idx")
    bad("idx", "short_header.idx", images[:9], "truncated at offset 9: the IDX dimensions take 4 bytes from offset 8, but only 1 are there", "labels.idx")
    bad("idx", "truncated.idx", images[:-5], "truncated at offset 23: the images take 12 bytes from offset 16, but only 7 are there", "labels.idx")
    bad("idx", "huge.idx", idx([1000000, 200, 200], []), "truncated at offset 16: the images take 40000000000 bytes from offset 16, but only 0 are there", "labels.idx")
    bad("idx", "absurd.idx", idx([4000000000, 2000, 2000], []), "offset 4: 4000000000 images of 4000000 bytes is absurd", "labels.idx")
    bad("idx", "overflow.idx", bytes([0, 0, 8, 3]) + b"\xff" * 12, "4294967295 × 4294967295 values per sample is absurd", "labels.idx")  # found by fuzz_data
    bad("idx", "trailing.idx", images + b"\x00\x00", "offset 28: more data than the header describes", "labels.idx")
    bad("idx", "zero.idx", idx([0, 2, 2], []), "dimension 1 is 0", "labels.idx")
    bad("idx", "labels_short.idx", idx([2], [0, 1]), "holds 3 images but", "<images.idx")
    bad("idx", "corrupt.idx.gz", gz[:20] + bytes(b ^ 0x5A for b in gz[20:30]) + gz[30:], "the gzip data is corrupt (invalid distance code)", "labels.idx")
    bad("idx", "cut.idx.gz", gz[:-12], "the gzip data is truncated (unexpected end of file)", "labels.idx")
    bad("idx", "missing.idx", None, "cannot open: No such file", "labels.idx")
    bad("csv", "fields.csv", b"a,b,label\n1,2,x\n3,x\n", "fields.csv:3: 2 fields; the header has 3", None)
    bad("csv", "word.csv", b"a,b,label\n1,2,x\n3,abc,y\n", "word.csv:3: column 'b': 'abc' is not a number", None)
    bad("csv", "nan.csv", b"a,b,label\n1,nan,x\n", "nan.csv:2: column 'b': nan is not a finite number", None)
    bad("csv", "nolabel.csv", b"a,b,kind\n1,2,x\n", "no column is named 'label'; the columns are a, b, kind", None)
    bad("csv", "quote.csv", b'a,b,label\n1,"2,x\n', "quote.csv:2: a quote is not closed", None)
    bad("csv", "empty.csv", b"a,b,label\n\n", "empty.csv: no data rows", None)
    bad("csv", "negative.csv", b"a,b,label\n1,2,-1\n", "the label -1 is not a class id", None)
    bad("csv", "one_column.csv", b"label\n1\n", "1 column; a label and at least one feature", None)
    bad("npy", "magic.npy", b"NOTNUMPY" + b"\x00" * 64, "offset 0: not an NPY file", "y_i8.npy")
    bad("npy", "fortran.npy", npy("<f4", (3, 2), b"\x00" * 24, fortran=True), "Fortran-order NPY data is not supported", "y_i8.npy")
    bad("npy", "big_endian.npy", npy(">f4", (3, 2), b"\x00" * 24), "big-endian NPY data is not supported", "y_i8.npy")
    bad("npy", "complex.npy", npy("<c8", (3, 2), b"\x00" * 48), "NPY type c8 is not supported", "y_i8.npy")
    bad("npy", "short.npy", npy("<f4", (3, 2), b"\x00" * 20), "truncated at offset 148: the NPY data take 24 bytes from offset 128", "y_i8.npy")
    bad("npy", "rows.npy", npy("<f4", (4, 2), b"\x00" * 32), "holds 4 samples but", "y_i8.npy")
    bad("npy", "absurd.npy", npy("<f4", (10 ** 18, 2), b""), "the NPY shape is empty or absurd", "y_i8.npy")
    bad("npy", "claims_more.npy", npy("<f4", (10 ** 9,), b"\x00" * 16), "truncated at offset 144: the NPY data take 4000000000 bytes from offset 128, but only 16 are there", "bad/claims_more.npy")  # found by fuzz_data
    bad("npy", "shape_overflow.npy", npy("<f4", (11, 300000000000, 200000000000000), b""), "the NPY shape is empty or absurd", "y_i8.npy")  # found by fuzz_data
    bad("npy", "nan.npy", npy("<f4", (3, 2), struct.pack("<6f", 1, 2, float("nan"), 4, 5, 6)), "element 2 (sample 1) is nan, not a finite number", "y_i8.npy")
    bad("npy", "object.npy", npy("|O", (3,), b"\x80\x02" + b"\x00" * 22), "an NPY array of Python objects (dtype object) is not supported", "y_i8.npy")
    with open(os.path.join(HERE, "bad.tsv"), "w") as f:
        f.write("# loader\tpath\tsecond path\texpected words in the message\n")
        for c in cases:
            f.write("\t".join(c) + "\n")
    os.remove(os.path.join(BAD, "missing.idx"))
    print("wrote", len(cases), "broken files")


if __name__ == "__main__":
    main()
