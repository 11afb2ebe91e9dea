//! `_lichen_debug` (`hpy.universal._debug` on RustPython): reads and steers
//! the debug-mode context, with the interface of HPy 0.9.0's `_debug` module
//! that `hpy.debug` and HPy's tests call. What the functions mean lives in
//! the core (`lichen_core::debug`), shared with the CPython host.

use lichen_core::debug::{info, DebugInfo};

fn debug_info() -> &'static DebugInfo {
    // SAFETY: `context::CONTEXTS.debug()` is made by `debug_context` and never freed.
    unsafe { info(crate::context::CONTEXTS.debug()) }
}

#[rustpython_vm::pymodule]
pub mod _lichen_debug {
    use super::debug_info;
    use crate::host::{h2o, o2h};
    use lichen_abi::HPy;
    use lichen_core::debug::{view, HandleInfo};
    use rustpython_vm::builtins::PyListRef;
    use rustpython_vm::function::{OptionalArg, PyComparisonValue};
    use rustpython_vm::types::{Comparable, PyComparisonOp, Representable};
    use rustpython_vm::pyclass;
    use rustpython_vm::{Py, PyObject, PyObjectRef, PyPayload, PyResult, VirtualMachine};

    /// The application-level view of one debug handle. Several objects may
    /// view the same handle; they compare equal (same `id`, the handle's
    /// address).
    #[pyattr]
    #[pyclass(module = "hpy.debug._debug", name = "DebugHandle")]
    #[derive(Debug, PyPayload)]
    pub struct DebugHandle {
        handle: isize,
    }

    impl DebugHandle {
        /// The handle's current state; `None` once the table forgot it.
        fn state(&self) -> Option<HandleInfo> {
            debug_info().table().info(self.handle)
        }
    }

    #[pyclass(with(Comparable, Representable))]
    impl DebugHandle {
        /// The object which the handle points to.
        #[pygetset]
        fn obj(&self, vm: &VirtualMachine) -> PyResult {
            match self.state() {
                // SAFETY: an open handle owns a reference to its object.
                Some(s) if !s.closed => Ok(unsafe { h2o(s.uh) }.to_owned()),
                _ => Err(vm.new_value_error("the handle is closed: the object it pointed to may be gone")),
            }
        }

        /// A numeric identifier of the handle (its address).
        #[pygetset]
        fn id(&self) -> isize {
            self.handle
        }

        #[pygetset]
        fn is_closed(&self) -> bool {
            view::is_closed(self.state().as_ref())
        }

        /// Size of the raw data kept for the handle, -1 if none.
        #[pygetset]
        fn raw_data_size(&self) -> isize {
            view::raw_data_size(self.state().as_ref())
        }

        /// Close the underlying handle. FOR TESTS ONLY.
        #[pymethod]
        fn _force_close(&self) {
            debug_info().force_close(HPy { _i: self.handle })
        }
    }

    impl Comparable for DebugHandle {
        fn cmp(zelf: &Py<Self>, other: &PyObject, op: PyComparisonOp, _vm: &VirtualMachine) -> PyResult<PyComparisonValue> {
            op.eq_only(|| match other.downcast_ref::<Self>() {
                Some(o) => Ok((o.handle == zelf.handle).into()),
                None => Ok(PyComparisonValue::NotImplemented),
            })
        }
    }

    impl Representable for DebugHandle {
        fn repr_str(zelf: &Py<Self>, vm: &VirtualMachine) -> PyResult<String> {
            view::handle_repr(zelf.handle, zelf.state(), |uh| {
                // SAFETY: an open handle owns a reference to its object.
                Ok(unsafe { h2o(uh) }.repr(vm)?.as_wtf8().to_string())
            })
        }
    }

    fn handle_list(vm: &VirtualMachine, handles: Vec<HandleInfo>) -> PyListRef {
        let items = handles.into_iter().map(|h| DebugHandle { handle: h.handle }.into_pyobject(vm)).collect();
        vm.ctx.new_list(items)
    }

    /// Start a new generation of handles and return its number.
    #[pyfunction]
    fn new_generation() -> u64 {
        debug_info().new_generation()
    }

    /// The open handles whose generation is at least `gen`.
    #[pyfunction]
    fn get_open_handles(gen: i64, vm: &VirtualMachine) -> PyListRef {
        handle_list(vm, debug_info().open_handles(view::generation_arg(gen)))
    }

    /// The closed handles still in the queue, of generation `gen` or later.
    #[pyfunction]
    fn get_closed_handles(gen: OptionalArg<i64>, vm: &VirtualMachine) -> PyListRef {
        let g = view::generation_arg(gen.unwrap_or(0));
        handle_list(vm, debug_info().closed_handles(g))
    }

    /// Return the maximum size of the closed handles queue.
    #[pyfunction]
    fn get_closed_handles_queue_max_size() -> usize {
        debug_info().table().queue_max_size()
    }

    /// Set the maximum size of the closed handles queue.
    #[pyfunction]
    fn set_closed_handles_queue_max_size(size: usize) {
        debug_info().table().set_queue_max_size(size)
    }

    /// Return the maximum size of the retained raw memory associated with
    /// closed handles.
    #[pyfunction]
    fn get_protected_raw_data_max_size() -> usize {
        debug_info().table().protected_raw_data_max_size()
    }

    /// Set the maximum size of the retained raw memory associated with
    /// closed handles.
    #[pyfunction]
    fn set_protected_raw_data_max_size(size: usize) {
        debug_info().table().set_protected_raw_data_max_size(size)
    }

    /// `None` gives NULL, a callable a new universal handle to it.
    fn hook(func: PyObjectRef, vm: &VirtualMachine) -> PyResult<HPy> {
        if vm.is_none(&func) {
            Ok(HPy::NULL)
        } else if func.is_callable() {
            Ok(o2h(func))
        } else {
            Err(vm.new_type_error("Expected a callable object"))
        }
    }

    /// Set the function to call when we detect the usage of an invalid handle.
    #[pyfunction]
    fn set_on_invalid_handle(func: PyObjectRef, vm: &VirtualMachine) -> PyResult<()> {
        debug_info().set_on_invalid_handle(hook(func, vm)?);
        Ok(())
    }

    /// Set the function to call when we detect the usage of an invalid
    /// builder handle.
    #[pyfunction]
    fn set_on_invalid_builder_handle(func: PyObjectRef, vm: &VirtualMachine) -> PyResult<()> {
        debug_info().set_on_invalid_builder_handle(hook(func, vm)?);
        Ok(())
    }

    /// Set how many frames of the allocation stack each handle records;
    /// None turns the recording off.
    #[pyfunction]
    fn set_handle_stack_trace_limit(limit: Option<i64>) {
        debug_info().set_handle_stack_trace_limit(view::stack_limit_arg(limit));
    }

    /// Lichen's addition: with False, the misuse HPy's debug mode reports by
    /// aborting (a kept context, a non-type where a type is required, an
    /// invalid handle with no hook, ...) raises a SystemError with the same
    /// report from the context call instead. Returns the previous setting.
    #[pyfunction]
    fn set_abort_on_misuse(abort: bool) -> bool {
        debug_info().set_abort_on_misuse(abort)
    }

    #[pyfunction]
    fn get_abort_on_misuse() -> bool {
        debug_info().aborts_on_misuse()
    }

    /// Lichen's addition: the text of the latest invalid handle or builder
    /// report, or None; reading it forgets it (HPy's hooks get no argument).
    #[pyfunction]
    fn take_last_report() -> Option<String> {
        debug_info().take_last_report()
    }

    /// Lichen's addition: when enabled, a fault on the protected copy of raw
    /// data first prints which context function returned it. Returns whether
    /// the report is available on this system.
    #[pyfunction]
    fn set_raw_data_fault_report(enabled: bool) -> bool {
        lichen_core::debug::set_raw_data_fault_report(enabled)
    }
}
