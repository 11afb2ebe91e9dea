//! `lichen-rustpython`: RustPython with its standard library, plus Lichen,
//! so that `import name` also finds HPy universal extensions
//! (`name.hpy0.so`, `name.hpy.so`) on `sys.path`.
//!
//! The command line is RustPython's own (`-c`, a script, `-m module`, ...).
//! The finder is installed by a frozen `sitecustomize` module, which `site`
//! imports at start-up, before the main module runs.

use lichen_rustpython::loader;
use rustpython::{InterpreterBuilder, InterpreterBuilderExt};

fn main() -> std::process::ExitCode {
    let builder = InterpreterBuilder::new().init_stdlib();
    let def = loader::module_def(&builder.ctx);
    let builder = builder.add_native_module(def).add_frozen_modules(rustpython_vm::py_freeze!(
        source = "import _lichen\n_lichen.install()\n",
        module_name = "sitecustomize"
    ));
    rustpython::run(builder)
}
