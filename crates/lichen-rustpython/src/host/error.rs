//! The pending exception of each thread, and the error context functions.

use super::*;
use core::cell::RefCell;
use core::ffi::{c_char, c_int, CStr};
use lichen_abi::HPy_ssize_t;
use lichen_core::host::{ErrorHost, ExcKind};
use rustpython_vm::builtins::{PyBaseExceptionRef, PyList, PyStr, PyType, PyTypeRef};
use rustpython_vm::Py;

thread_local! {
    /// The exception a context function raised, waiting for the bridge that
    /// called the extension to raise it in Python.
    static PENDING: RefCell<Option<PyBaseExceptionRef>> = const { RefCell::new(None) };
}

/// Makes `e` the pending exception of this thread, replacing any.
pub fn set_pending(e: PyBaseExceptionRef) {
    // The old exception is dropped after the borrow ends: dropping it may
    // run Python code that sets another one.
    let old = PENDING.with(|p| p.borrow_mut().replace(e));
    drop(old);
}

/// Takes the pending exception of this thread, if any.
pub fn take_pending() -> Option<PyBaseExceptionRef> {
    PENDING.with(|p| p.borrow_mut().take())
}

fn is_pending() -> bool {
    PENDING.with(|p| p.borrow().is_some())
}

/// The RustPython exception class for a core error kind.
pub fn exc_class(vm: &VirtualMachine, kind: ExcKind) -> &'static Py<PyType> {
    let e = &vm.ctx.exceptions;
    match kind {
        ExcKind::SystemError => e.system_error,
        ExcKind::TypeError => e.type_error,
        ExcKind::ValueError => e.value_error,
        ExcKind::ImportError => e.import_error,
        ExcKind::RuntimeError => e.runtime_error,
        ExcKind::NotImplementedError => e.not_implemented_error,
        ExcKind::MemoryError => e.memory_error,
        ExcKind::OverflowError => e.overflow_error,
        ExcKind::IndexError => e.index_error,
        ExcKind::KeyError => e.key_error,
        ExcKind::AttributeError => e.attribute_error,
    }
}

/// `kind(message)` as an exception object.
pub fn new_error(vm: &VirtualMachine, kind: ExcKind, message: &str) -> PyBaseExceptionRef {
    vm.new_exception_msg(exc_class(vm, kind).to_owned(), message.into())
}

/// A C string from the extension as text, replacing invalid UTF-8.
///
/// # Safety
/// `s` must be NUL-terminated.
pub unsafe fn c_text(s: *const c_char) -> String {
    // SAFETY: `s` is NUL-terminated (this function's contract), all
    // `CStr::from_ptr` needs; the text is copied before returning.
    unsafe { CStr::from_ptr(s) }.to_string_lossy().into_owned()
}

/// Raises `ty(*args)` the way `raise` would, normalising the value.
/// `SystemError` unless `ty` is an exception class, as CPython's
/// `_PyErr_SetObject` reports a bad class (RustPython's own check raises
/// the `TypeError` of a `raise` statement instead).
fn check_exception_class(vm: &VirtualMachine, ty: &PyObject) -> bool {
    let ok = ty
        .downcast_ref::<rustpython_vm::builtins::PyType>()
        .is_some_and(|t| t.fast_issubclass(vm.ctx.exceptions.base_exception_type));
    if !ok {
        let repr = ty.repr(vm).map(|r| r.to_string()).unwrap_or_else(|_| "?".into());
        set_pending(vm.new_system_error(format!("_PyErr_SetObject: exception {repr} is not a BaseException subclass")));
    }
    ok
}

fn raise_class(vm: &VirtualMachine, ty: &PyObject, value: Option<PyObjectRef>) {
    if !check_exception_class(vm, ty) {
        return;
    }
    let value = value.unwrap_or_else(|| vm.ctx.none());
    let e = vm
        .normalize_exception(ty.to_owned(), value, vm.ctx.none())
        .unwrap_or_else(|e| e);
    set_pending(e);
}

/// `ty(errno, strerror(errno)[, filename1[, None, filename2]])`, as
/// CPython's `PyErr_SetFromErrnoWithFilenameObjects` builds it.
fn raise_errno(vm: &VirtualMachine, ty: &PyObject, errno: i32, filename1: Option<PyObjectRef>, filename2: Option<PyObjectRef>) {
    if !check_exception_class(vm, ty) {
        return;
    }
    let message = errno_message(errno);
    let mut args = vec![vm.ctx.new_int(errno).into(), vm.ctx.new_str(message).into()];
    if let Some(f1) = filename1 {
        args.push(f1);
        if let Some(f2) = filename2 {
            args.push(vm.ctx.new_int(0).into());
            args.push(f2);
        }
    }
    let r = ty.call(args, vm);
    match r {
        Ok(exc) => raise_class(vm, ty, Some(exc)),
        Err(e) => set_pending(e),
    }
}

/// `strerror(errno)`, except that errno 0 reads "Error", as in CPython's
/// `PyErr_SetFromErrnoWithFilenameObjects` (strerror would say "Success").
fn errno_message(errno: i32) -> String {
    if errno == 0 {
        return "Error".to_owned();
    }
    let message = std::io::Error::from_raw_os_error(errno).to_string();
    // std appends " (os error N)"; strerror has no such suffix.
    message.split(" (os error").next().unwrap_or(&message).to_owned()
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

impl ErrorHost for RustPython {
    fn raise(vm: &VirtualMachine, kind: ExcKind, message: &str) {
        set_pending(new_error(vm, kind, message))
    }

    unsafe fn err_set_string(vm: &VirtualMachine, ty: HPy, utf8_message: *const c_char) {
        // SAFETY: the ABI requires a NUL-terminated message and a live class.
        let (ty, message) = unsafe { (h2o(ty), c_text(utf8_message)) };
        raise_class(vm, ty, Some(vm.ctx.new_str(message).into()))
    }

    fn err_set_object(vm: &VirtualMachine, ty: HPy, value: HPy) {
        // SAFETY: `ty` is live and `value` NULL or live.
        let (ty, value) = unsafe { (h2o(ty), h2o_opt(value)) };
        raise_class(vm, ty, value.map(|v| v.to_owned()))
    }

    unsafe fn err_set_from_errno(vm: &VirtualMachine, ty: HPy, filename: *const c_char) {
        // errno is read before anything else can change it.
        let errno = errno();
        // SAFETY: `ty` is live; the file name is NULL or NUL-terminated.
        let (ty, filename) = unsafe { (h2o(ty), (!filename.is_null()).then(|| c_text(filename))) };
        raise_errno(vm, ty, errno, filename.map(|f| vm.ctx.new_str(f).into()), None)
    }

    fn err_set_from_errno_objects(vm: &VirtualMachine, ty: HPy, filename1: HPy, filename2: HPy) {
        let errno = errno();
        // SAFETY: `ty` is live, the file names NULL or live.
        let (ty, f1, f2) = unsafe { (h2o(ty), h2o_opt(filename1), h2o_opt(filename2)) };
        raise_errno(vm, ty, errno, f1.map(|o| o.to_owned()), f2.map(|o| o.to_owned()))
    }

    fn err_no_memory(vm: &VirtualMachine) {
        set_pending(vm.new_exception_empty(vm.ctx.exceptions.memory_error.to_owned()))
    }

    fn err_occurred(_vm: &VirtualMachine) -> bool {
        is_pending()
    }

    fn err_exception_matches(_vm: &VirtualMachine, exc: HPy) -> bool {
        // SAFETY: `exc` is a live handle.
        let exc = unsafe { h2o(exc) };
        let pending = PENDING.with(|p| p.borrow().clone());
        let Some(pending) = pending else { return false };
        exception_matches(pending.class(), exc)
    }

    fn err_clear(_vm: &VirtualMachine) {
        drop(take_pending());
    }

    unsafe fn new_exception(vm: &VirtualMachine, utf8_name: *const c_char, utf8_doc: *const c_char, base: HPy, dict: HPy) -> HPy {
        // SAFETY: the name is NUL-terminated, the doc NULL or NUL-terminated,
        // the handles NULL or live.
        let (name, doc, base, dict) =
            unsafe { (c_text(utf8_name), (!utf8_doc.is_null()).then(|| c_text(utf8_doc)), h2o_opt(base), h2o_opt(dict)) };
        result_handle(new_exception_class(vm, &name, doc, base, dict))
    }

    unsafe fn warn(vm: &VirtualMachine, category: HPy, utf8_message: *const c_char, stack_level: HPy_ssize_t) -> c_int {
        // SAFETY: the message is NUL-terminated; the category NULL or live.
        let (category, message) = unsafe { (h2o_opt(category), c_text(utf8_message)) };
        let category = category.map_or_else(|| vm.ctx.exceptions.runtime_warning.to_owned().into(), |c| c.to_owned());
        let r = vm.import("warnings", 0).and_then(|w| {
            w.get_attr("warn", vm)?.call((vm.ctx.new_str(message), category, stack_level.max(1)), vm)
        });
        status(r.map(drop))
    }

    fn write_unraisable(vm: &VirtualMachine, obj: HPy) {
        // SAFETY: `obj` is NULL or live.
        let obj = unsafe { h2o_opt(obj) };
        if let Some(e) = take_pending() {
            vm.run_unraisable(e, None, obj.map_or_else(|| vm.ctx.none(), |o| o.to_owned()));
        }
    }

    fn note_pending_error(vm: &VirtualMachine, note: &str) {
        let Some(exc) = PENDING.with(|p| p.borrow().clone()) else { return };
        append_note(vm, exc.as_object(), note)
    }
}

/// `exc.__notes__.append(note)` (creating the list) unless the note is in it
/// already; a failure is dropped, since the note is only a hint.
fn append_note(vm: &VirtualMachine, exc: &PyObject, note: &str) {
    let notes = match exc.get_attr("__notes__", vm) {
        Ok(notes) => notes,
        Err(_) => {
            let notes: PyObjectRef = vm.ctx.new_list(Vec::new()).into();
            if exc.set_attr("__notes__", notes.clone(), vm).is_err() {
                return;
            }
            notes
        }
    };
    let Some(list) = notes.downcast_ref::<PyList>() else { return };
    let present = list.borrow_vec().iter().any(|n| n.downcast_ref::<PyStr>().and_then(|s| s.to_str()) == Some(note));
    if !present {
        list.borrow_vec_mut().push(vm.ctx.new_str(note).into());
    }
}

/// Whether an exception of class `class` matches `exc`, a class or a tuple
/// of them (searched recursively), as `except exc:` decides.
fn exception_matches(class: &Py<PyType>, exc: &PyObject) -> bool {
    if let Some(tuple) = exc.downcast_ref::<rustpython_vm::builtins::PyTuple>() {
        return tuple.iter().any(|e| exception_matches(class, e));
    }
    match exc.downcast_ref::<PyType>() {
        Some(ty) => class.fast_issubclass(ty),
        None => false,
    }
}

/// `PyErr_NewException`: a class named after the part of `dotted` after the
/// last dot, whose `__module__` is the part before it.
fn new_exception_class(
    vm: &VirtualMachine,
    dotted: &str,
    doc: Option<String>,
    base: Option<&PyObject>,
    dict: Option<&PyObject>,
) -> PyResult<PyObjectRef> {
    let Some((module, name)) = dotted.rsplit_once('.') else {
        return Err(vm.new_system_error("PyErr_NewException: name must be module.class"));
    };
    let ns = match dict {
        Some(d) => d.to_owned(),
        None => vm.ctx.new_dict().into(),
    };
    let has = |key: &str| ns.get_item(key, vm).is_ok();
    if !has("__module__") {
        ns.set_item("__module__", vm.ctx.new_str(module).into(), vm)?;
    }
    if let Some(doc) = doc {
        if !has("__doc__") {
            ns.set_item("__doc__", vm.ctx.new_str(doc).into(), vm)?;
        }
    }
    let bases: PyObjectRef = match base {
        None => vm.ctx.new_tuple(vec![vm.ctx.exceptions.exception_type.to_owned().into()]).into(),
        Some(b) if b.downcast_ref::<rustpython_vm::builtins::PyTuple>().is_some() => b.to_owned(),
        Some(b) => vm.ctx.new_tuple(vec![b.to_owned()]).into(),
    };
    let type_type: PyTypeRef = vm.ctx.types.type_type.to_owned();
    type_type.as_object().call((vm.ctx.new_str(name), bases, ns), vm)
}
