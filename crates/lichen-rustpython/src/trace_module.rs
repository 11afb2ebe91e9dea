//! `_lichen_trace` (`hpy.universal._trace` on RustPython): reads and steers
//! the trace-mode context, as HPy 0.9.0's `_trace` module does.

use lichen_core::trace::{info, TraceInfo};

fn trace_info(vm: &rustpython_vm::VirtualMachine) -> &'static TraceInfo {
    // SAFETY: `context::CONTEXTS.trace()` is made by `trace_context` and never freed.
    unsafe { info(crate::context::CONTEXTS.trace(vm)) }
}

#[rustpython_vm::pymodule]
pub mod _lichen_trace {
    use super::trace_info;
    use crate::host::o2h;
    use lichen_abi::HPy;
    use lichen_core::trace::{trace_function_args, Hook, FREQUENCY_HZ};
    use rustpython_vm::builtins::PyDictRef;
    use rustpython_vm::function::{KwArgs, PosArgs};
    use rustpython_vm::{PyObjectRef, PyResult, VirtualMachine};

    fn to_dict(vm: &VirtualMachine, items: Vec<(String, u64)>) -> PyResult<PyDictRef> {
        let d = vm.ctx.new_dict();
        for (name, value) in items {
            d.set_item(name.as_str(), vm.ctx.new_int(value).into(), vm)?;
        }
        Ok(d)
    }

    /// How many times each context function was called in trace mode.
    #[pyfunction]
    fn get_call_counts(vm: &VirtualMachine) -> PyResult<PyDictRef> {
        to_dict(vm, trace_info(vm).call_counts())
    }

    /// Nanoseconds spent in each context function in trace mode.
    #[pyfunction]
    fn get_durations(vm: &VirtualMachine) -> PyResult<PyDictRef> {
        to_dict(vm, trace_info(vm).durations_ns())
    }

    /// Resolution of the clock behind `get_durations`, in Hertz.
    #[pyfunction]
    fn get_frequency() -> u64 {
        FREQUENCY_HZ
    }

    fn hook(arg: Option<PyObjectRef>, vm: &VirtualMachine) -> PyResult<Hook<PyObjectRef>> {
        match arg {
            None => Ok(Hook::Keep),
            Some(a) if vm.is_none(&a) => Ok(Hook::Clear),
            Some(a) if a.is_callable() => Ok(Hook::Set(a)),
            Some(_) => Err(vm.new_type_error("Expected a callable object or None")),
        }
    }

    fn apply(h: Hook<PyObjectRef>, set: impl Fn(HPy)) {
        match h {
            Hook::Keep => {}
            Hook::Clear => set(HPy::NULL),
            Hook::Set(f) => set(o2h(f)),
        }
    }

    /// Set the functions to call when a context function is entered/exited:
    /// a callable sets, None clears, an omitted argument leaves it unchanged.
    #[pyfunction]
    fn set_trace_functions(args: PosArgs, kwargs: KwArgs, vm: &VirtualMachine) -> PyResult<()> {
        let keywords: Vec<(String, PyObjectRef)> = kwargs.into_iter().collect();
        let [on_enter, on_exit] = trace_function_args(args.into_vec(), keywords).map_err(|m| vm.new_type_error(m))?;
        let (on_enter, on_exit) = (hook(on_enter, vm)?, hook(on_exit, vm)?);
        let info = trace_info(vm);
        apply(on_enter, |h| info.set_on_enter(h));
        apply(on_exit, |h| info.set_on_exit(h));
        Ok(())
    }
}
