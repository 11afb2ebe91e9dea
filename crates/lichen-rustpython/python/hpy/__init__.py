"""The `hpy` package as Lichen provides it on RustPython, frozen into
`lichen-rustpython`: `hpy.universal` is Lichen's runtime and `hpy.debug` the
leak detection on top of its debug mode. (On CPython these come from HPy's
own package, with `hpy.universal` served by Lichen.)"""
