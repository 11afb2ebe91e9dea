//! `_lichen_debug` (`hpy.universal._debug` on RustPython): reads and steers
//! the debug-mode context, with the interface of HPy 0.9.0's `_debug` module
//! that `hpy.debug` and HPy's tests call. What the functions mean lives in
//! the core (`lichen_core::debug`), shared with the CPython host.

use lichen_core::debug::{info, DebugInfo};
use rustpython_vm::VirtualMachine;

/// The debug context's state. Every function and member of the module,
/// those declared in the core too, is given `vm` by RustPython and passes
/// it here.
fn debug_info(vm: &VirtualMachine) -> &'static DebugInfo {
    // SAFETY: `context::CONTEXTS.debug()` is made by `debug_context` and never freed.
    unsafe { info(crate::context::CONTEXTS.debug(vm)) }
}

// The functions and `DebugHandle` members declared in the core, each in a
// block of its own: RustPython's `#[pymodule]` and `#[pyclass]` cannot mix
// items written here with items a macro of another crate wrote.
lichen_core::debug_module_functions! {
    function = #[pyfunction];
    token = &VirtualMachine;
    #[rustpython_vm::pymodule(sub)]
    pub mod plain_functions {
        use super::debug_info;
        use rustpython_vm::VirtualMachine;
    }
}

/// `DebugHandle`'s members declared in the core, as functions of the debug
/// handle's number, and `add_members`, which puts them on the class.
mod handle_members {
    use super::_lichen_debug::DebugHandle;
    use super::debug_info;
    use rustpython_vm::builtins::PyType;
    use rustpython_vm::function::{PyMethodDef, PyMethodFlags};
    use rustpython_vm::{Context, Py, VirtualMachine};

    macro_rules! add_members {
        (getters: $($getter:ident),*; method: $method:ident) => {
            /// Puts the members on `DebugHandle`'s class (its `#[extend_class]`).
            pub fn add_members(ctx: &Context, class: &'static Py<PyType>) {
                $(
                    let getter = ctx.new_readonly_getset(stringify!($getter), class, |zelf: &DebugHandle, vm: &VirtualMachine| {
                        $getter(zelf.handle, vm)
                    });
                    class.set_str_attr(stringify!($getter), getter, ctx);
                )*
                const METHOD: PyMethodDef = PyMethodDef::new_const(
                    stringify!($method),
                    |zelf: &DebugHandle, vm: &VirtualMachine| $method(zelf.handle, vm),
                    PyMethodFlags::METHOD,
                    None,
                );
                class.set_str_attr(stringify!($method), METHOD.to_proper_method(class, ctx), ctx);
            }
        };
    }

    lichen_core::debug_handle_members!(token = &VirtualMachine; names => add_members);
}

#[rustpython_vm::pymodule(with(plain_functions))]
pub mod _lichen_debug {
    use super::debug_info;
    use crate::host::{h2o, o2h};
    use lichen_abi::HPy;
    use lichen_core::debug::{view, HandleInfo};
    use rustpython_vm::builtins::{PyListRef, PyType};
    use rustpython_vm::function::{OptionalArg, PyComparisonValue};
    use rustpython_vm::types::{Comparable, PyComparisonOp, Representable};
    use rustpython_vm::pyclass;
    use rustpython_vm::{Context, Py, PyObject, PyObjectRef, PyPayload, PyResult, VirtualMachine};

    /// The application-level view of one debug handle. Several objects may
    /// view the same handle; they compare equal (same `id`, the handle's
    /// address).
    #[pyattr]
    #[pyclass(module = "hpy.debug._debug", name = "DebugHandle")]
    #[derive(Debug, PyPayload)]
    pub struct DebugHandle {
        pub(super) handle: isize,
    }

    impl DebugHandle {
        /// The handle's current state; `None` once the table forgot it.
        fn state(&self, vm: &VirtualMachine) -> Option<HandleInfo> {
            debug_info(vm).table().info(self.handle)
        }
    }

    #[pyclass(with(Comparable, Representable))]
    impl DebugHandle {
        #[extend_class]
        fn extend_class(ctx: &Context, class: &'static Py<PyType>) {
            super::handle_members::add_members(ctx, class)
        }

        /// The object which the handle points to.
        #[pygetset]
        fn obj(&self, vm: &VirtualMachine) -> PyResult {
            match self.state(vm) {
                // SAFETY: an open handle owns a reference to its object.
                Some(s) if !s.closed => Ok(unsafe { h2o(s.uh) }.to_owned()),
                _ => Err(vm.new_value_error("the handle is closed: the object it pointed to may be gone")),
            }
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
            view::handle_repr(zelf.handle, zelf.state(vm), |uh| {
                // SAFETY: an open handle owns a reference to its object.
                Ok(unsafe { h2o(uh) }.repr(vm)?.as_wtf8().to_string())
            })
        }
    }

    fn handle_list(vm: &VirtualMachine, handles: Vec<HandleInfo>) -> PyListRef {
        let items = handles.into_iter().map(|h| DebugHandle { handle: h.handle }.into_pyobject(vm)).collect();
        vm.ctx.new_list(items)
    }

    /// The open handles whose generation is at least `gen`.
    #[pyfunction]
    fn get_open_handles(gen: i64, vm: &VirtualMachine) -> PyListRef {
        handle_list(vm, debug_info(vm).open_handles(view::generation_arg(gen)))
    }

    /// The closed handles still in the queue, of generation `gen` or later.
    #[pyfunction]
    fn get_closed_handles(gen: OptionalArg<i64>, vm: &VirtualMachine) -> PyListRef {
        let g = view::generation_arg(gen.unwrap_or(0));
        handle_list(vm, debug_info(vm).closed_handles(g))
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
        debug_info(vm).set_on_invalid_handle(hook(func, vm)?);
        Ok(())
    }

    /// Set the function to call when we detect the usage of an invalid
    /// builder handle.
    #[pyfunction]
    fn set_on_invalid_builder_handle(func: PyObjectRef, vm: &VirtualMachine) -> PyResult<()> {
        debug_info(vm).set_on_invalid_builder_handle(hook(func, vm)?);
        Ok(())
    }
}
