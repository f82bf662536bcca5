"""Compiles generated sources for zipimport-bench, inside the embedded interpreter.

The harness builds pyc headers itself (it needs timestamp and both hash flavours from
one compilation), so this only returns the marshalled code object and the source hash
that `importlib` would compute for each file.
"""

import importlib.util
import marshal


def compile_all(items):
    """Compile (path, source bytes) pairs; return (marshalled code, source hash) pairs,
    or None for a file that does not compile.

    `path` becomes the code object's co_filename; it is the path relative to the tree
    root, so the bytes do not depend on where the artifact is written.
    """
    out = []
    for path, source in items:
        try:
            code = compile(source, path, "exec", dont_inherit=True, optimize=0)
        except (SyntaxError, ValueError):
            # A real corpus may hold files this Python cannot compile (test data,
            # other Python versions' syntax): they stay source only.
            out.append(None)
            continue
        out.append((marshal.dumps(code), importlib.util.source_hash(source)))
    return out


def write_zip(path, entries, date_time, method):
    """Write a zip with Python's zipfile, for methods the Rust zip crate cannot write.

    `entries` are (name, bytes or None for a directory) pairs in archive order;
    `method` is a zipfile constant name such as "ZIP_LZMA". Member times, permissions
    and order are fixed, so the archive is byte-identical from run to run.
    """
    import zipfile

    compress_type = getattr(zipfile, method)
    if method == "ZIP_LZMA" and not getattr(zipfile.LZMACompressor, "zib_fast", False):
        # zipimport cannot read LZMA members at any setting: use the smallest
        # dictionary, whose encoder state is cheap to set up for every member.
        import lzma

        class _FastLZMA(zipfile.LZMACompressor):
            zib_fast = True

            def _init(self):
                props = lzma._encode_filter_properties(
                    {"id": lzma.FILTER_LZMA1, "preset": 0}
                )
                self._comp = lzma.LZMACompressor(
                    lzma.FORMAT_RAW,
                    filters=[lzma._decode_filter_properties(lzma.FILTER_LZMA1, props)],
                )
                return __import__("struct").pack("<BBH", 9, 4, len(props)) + props

        zipfile.LZMACompressor = _FastLZMA
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=tuple(date_time))
            info.create_system = 3
            if data is None:
                info.external_attr = (0o40755 << 16) | 0x10
                info.compress_type = zipfile.ZIP_STORED
                zf.writestr(info, b"")
            else:
                info.external_attr = 0o100644 << 16
                info.compress_type = compress_type
                zf.writestr(info, data)
