//! `lichen-rustpython`: RustPython with its standard library, plus Lichen,
//! so that `import name` also finds HPy universal extensions
//! (`name.hpy0.so`, `name.hpy.so`) on `sys.path`.
//!
//! The command line is RustPython's own (`-c`, a script, `-m module`, ...).
//! The finder is installed by a frozen `sitecustomize` module, which `site`
//! imports at start-up, before the main module runs. Lichen's `hpy` package
//! (`hpy.universal`, `hpy.debug`; `python/hpy` in this crate) is frozen in
//! too, since RustPython cannot install HPy's.

#![deny(unsafe_op_in_unsafe_fn)]

use lichen_rustpython::loader;
use rustpython::{InterpreterBuilder, InterpreterBuilderExt};

fn main() -> std::process::ExitCode {
    let builder = InterpreterBuilder::new().init_stdlib();
    let defs = loader::module_defs(&builder.ctx);
    let bridge = lichen_bridge::module_def(&builder.ctx);
    let builder = builder
        .add_native_modules(&defs)
        .add_native_module(bridge)
        .add_frozen_modules(rustpython_vm::py_freeze!(
            source = "import _lichen\n_lichen.install()\nimport _lichen_bridge\n_lichen_bridge.install()\n",
            module_name = "sitecustomize"
        ))
        .add_frozen_modules(rustpython_vm::py_freeze!(dir = "../python"));
    rustpython::run(builder)
}
