//! RustPython operations behind the container context functions.

use super::*;
use core::ffi::c_int;
use lichen_abi::HPy_ssize_t;
use lichen_core::host::{ContainerHost, ExcKind};
use rustpython_vm::builtins::{PyDict, PyList};

/// Owned references for live handles.
fn items(handles: &[HPy]) -> Vec<PyObjectRef> {
    // SAFETY: the core passes live, non-NULL handles.
    handles.iter().map(|&h| unsafe { h2ref(h) }).collect()
}

fn with_dict(vm: &VirtualMachine, h: HPy, f: impl FnOnce(&VirtualMachine, &rustpython_vm::Py<PyDict>) -> PyResult<PyObjectRef>) -> HPy {
    // SAFETY: the core passes a live handle, checked to be a dict.
    let obj = unsafe { h2o(h) };
    let Some(dict) = obj.downcast_ref::<PyDict>() else {
        return fail(vm, ExcKind::SystemError, "bad argument to internal function: expected a dict", HPy::NULL);
    };
    result_handle(f(vm, dict))
}

impl ContainerHost for RustPython {
    fn list_check(_vm: &VirtualMachine, h: HPy) -> bool {
        // SAFETY: the ABI requires a live handle.
        unsafe { h2o(h) }.downcast_ref::<PyList>().is_some()
    }

    fn list_new(vm: &VirtualMachine, len: HPy_ssize_t) -> HPy {
        o2h(vm.ctx.new_list(vec![vm.ctx.none(); len.max(0) as usize]).into())
    }

    fn list_append(vm: &VirtualMachine, list: HPy, item: HPy) -> c_int {
        // SAFETY: both handles are live.
        let (list, item) = unsafe { (h2o(list), h2ref(item)) };
        match list.downcast_ref::<PyList>() {
            Some(l) => {
                l.borrow_vec_mut().push(item);
                0
            }
            None => fail(vm, ExcKind::SystemError, "bad argument to internal function: expected a list", -1),
        }
    }

    fn list_from_array(vm: &VirtualMachine, handles: &[HPy]) -> HPy {
        o2h(vm.ctx.new_list(items(handles)).into())
    }

    fn tuple_from_array(vm: &VirtualMachine, handles: &[HPy]) -> HPy {
        o2h(vm.ctx.new_tuple(items(handles)).into())
    }

    fn dict_new(vm: &VirtualMachine) -> HPy {
        o2h(vm.ctx.new_dict().into())
    }

    fn dict_keys(vm: &VirtualMachine, dict: HPy) -> HPy {
        with_dict(vm, dict, |vm, d| Ok(vm.ctx.new_list(d.keys_vec()).into()))
    }

    fn dict_copy(vm: &VirtualMachine, dict: HPy) -> HPy {
        with_dict(vm, dict, |vm, d| {
            let copy = vm.ctx.new_dict();
            for (k, v) in d {
                copy.set_item(&*k, v, vm)?;
            }
            Ok(copy.into())
        })
    }
}

/// RustPython's tuples are immutable vectors: builders use the core's
/// host-neutral boxed builder, then one list or tuple from the array.
impl lichen_core::host::BuilderHost for RustPython {}
