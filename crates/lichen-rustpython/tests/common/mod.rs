//! What the integration tests share: an interpreter made the way the binary
//! makes it, running a piece of Python source.

use lichen_rustpython::loader;
use rustpython::{InterpreterBuilder, InterpreterBuilderExt};

/// Runs `source` in a fresh interpreter with Lichen's finder installed (and
/// the bridge's, with `bridge`) and returns `result`, a global the source
/// sets, as text. The interpreter runs on a thread with a main-thread-sized
/// stack: an unoptimised RustPython needs more than the 2 MiB of a test
/// thread to import its stdlib.
pub fn run(source: String, bridge: bool) -> String {
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || run_here(&source, bridge))
        .expect("spawn")
        .join()
        .expect("the interpreter thread panicked")
}

fn run_here(source: &str, bridge: bool) -> String {
    let builder = InterpreterBuilder::new().init_stdlib();
    let defs = loader::module_defs(&builder.ctx);
    let mut builder = builder.add_native_modules(&defs);
    if bridge {
        let def = lichen_bridge::module_def(&builder.ctx);
        builder = builder.add_native_module(def);
    }
    let interp = builder.interpreter();
    interp.enter(|vm| {
        if bridge {
            lichen_bridge::install(vm).expect("the bridge's finder installs");
        } else {
            loader::install(vm).expect("the finder installs");
        }
        let scope = vm.new_scope_with_builtins();
        if let Err(e) = vm.run_string(scope.clone(), source, "<test>".to_owned()) {
            vm.print_exception(e);
            panic!("the test source raised");
        }
        let result = scope.globals.get_item("result", vm).expect("the source sets `result`");
        result.str(vm).expect("str()").to_string()
    })
}
