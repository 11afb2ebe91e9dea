//! RustPython operations behind the object context functions.

use super::error::{c_text, set_pending};
use super::text::decode_utf8;
use super::*;
use core::ffi::{c_char, c_int, c_void};
use lichen_abi::{
    cpy_PyObject, HPyCapsule_Destructor, HPyField, HPyGlobal, HPyThreadState, HPy_RichCmpOp, HPy_SourceKind,
    HPy_hash_t, HPy_ssize_t,
};
use lichen_core::host::{CapsuleField, Conversion, ExcKind, ObjectHost, ObjectKind};
use rustpython_vm::builtins::{PyDict, PySlice, PyTuple, PyType};
use crate::capsule::{same_name, Capsule};
use rustpython_vm::types::PyComparisonOp;
use rustpython_vm::PyPayload;

/// Raises `NotImplementedError` for an operation this host lacks, naming
/// the context function, and returns `err`.
pub fn not_supported<T>(vm: &VirtualMachine, function: &str, err: T) -> T {
    fail(
        vm,
        ExcKind::NotImplementedError,
        &format!("HPy context function '{function}' is not supported by the RustPython host"),
        err,
    )
}

/// Raises `SystemError` for a legacy (CPython C API) function, which a VM
/// without that API can never serve, and returns `err`.
fn no_c_api<T>(vm: &VirtualMachine, function: &str, err: T) -> T {
    fail(
        vm,
        ExcKind::SystemError,
        &format!(
            "{function}: the RustPython host has no CPython C API, so hybrid (legacy) \
             HPy functions cannot be used"
        ),
        err,
    )
}

/// The capsule behind a handle, or `ValueError` as CPython words it.
fn capsule_of<'a>(vm: &VirtualMachine, h: HPy, function: &str) -> Option<&'a rustpython_vm::Py<Capsule>> {
    // SAFETY: `h` is NULL or a live handle.
    let c = unsafe { h2o_opt(h) }.and_then(|o| o.downcast_ref::<Capsule>());
    if c.is_none() {
        fail(vm, ExcKind::ValueError, &format!("{function} called with invalid PyCapsule object"), ());
    }
    c
}

fn capsule_function(field: CapsuleField, set: bool) -> &'static str {
    match (field, set) {
        (CapsuleField::Pointer, false) => "HPyCapsule_GetPointer",
        (CapsuleField::Name, false) => "HPyCapsule_GetName",
        (CapsuleField::Context, false) => "HPyCapsule_GetContext",
        (CapsuleField::Pointer, true) => "HPyCapsule_SetPointer",
        (CapsuleField::Name, true) => "HPyCapsule_SetName",
        (CapsuleField::Context, true) => "HPyCapsule_SetContext",
    }
}

/// The comparison HPy numbers `op` (CPython's `Py_LT`..`Py_GE`).
fn comparison(op: HPy_RichCmpOp) -> Option<PyComparisonOp> {
    Some(match op.0 {
        0 => PyComparisonOp::Lt,
        1 => PyComparisonOp::Le,
        2 => PyComparisonOp::Eq,
        3 => PyComparisonOp::Ne,
        4 => PyComparisonOp::Gt,
        5 => PyComparisonOp::Ge,
        _ => return None,
    })
}

fn bad_comparison<T>(vm: &VirtualMachine, err: T) -> T {
    fail(vm, ExcKind::SystemError, "HPy_RichCompare: invalid comparison operator", err)
}

/// Owned references for `n` live handles starting at `args`.
///
/// # Safety
/// `args` must hold `n` live handles (it may be NULL when `n` is 0).
unsafe fn refs(args: *const HPy, n: usize) -> Vec<PyObjectRef> {
    if n == 0 {
        return Vec::new();
    }
    // SAFETY: `n` > 0 here, so by this function's contract `args` is not
    // NULL and holds `n` live handles: the slice is in bounds, and each
    // handle is one `h2ref` may take a new reference from.
    unsafe { core::slice::from_raw_parts(args, n) }.iter().map(|&h| unsafe { h2ref(h) }).collect()
}

/// The names of a `kwnames` tuple (NULL for none).
///
/// # Safety
/// `kwnames` must be NULL or a live handle.
unsafe fn kw_names(kwnames: HPy) -> Result<Vec<PyObjectRef>, &'static str> {
    // SAFETY: `kwnames` is NULL or a live handle (this function's
    // contract), which is `h2o_opt`'s precondition.
    match unsafe { h2o_opt(kwnames) } {
        None => Ok(Vec::new()),
        Some(k) => match k.downcast_ref::<PyTuple>() {
            // RustPython's vectorcall panics on a name that is not a str.
            Some(t) if t.iter().all(|n| n.downcast_ref::<rustpython_vm::builtins::PyStr>().is_some()) => {
                Ok(t.as_slice().to_vec())
            }
            Some(_) => Err("keywords must be strings"),
            None => Err("HPy_Call: kwnames must be a tuple"),
        },
    }
}

/// The arguments of a vectorcall, `nargs` positional ones followed by one
/// per name of `kwnames`, and those names; `None` with a TypeError raised
/// when `kwnames` is not a tuple of str.
///
/// # Safety
/// `kwnames` must be NULL or a live handle, and `args` must hold `nargs`
/// live handles followed by one per name of `kwnames`.
#[inline]
unsafe fn call_args(vm: &VirtualMachine, args: *const HPy, nargs: usize, kwnames: HPy) -> Option<(Vec<PyObjectRef>, Vec<PyObjectRef>)> {
    // SAFETY: `kwnames` is NULL or a live handle, as `kw_names` needs
    // (this function's contract).
    let names = match unsafe { kw_names(kwnames) } {
        Ok(n) => n,
        Err(message) => return fail(vm, ExcKind::TypeError, message, None),
    };
    // SAFETY: by this function's contract `args` holds `nargs` live handles
    // and then one per name, `names.len()` of them: what `refs` reads.
    let args = unsafe { refs(args, nargs + names.len()) };
    Some((args, names))
}

fn vectorcall_refs(vm: &VirtualMachine, callable: &PyObject, args: Vec<PyObjectRef>, nargs: usize, names: Vec<PyObjectRef>) -> HPy {
    let kw = (!names.is_empty()).then_some(names.as_slice());
    result_handle(callable.vectorcall(args, nargs, kw, vm))
}

fn source_mode(kind: HPy_SourceKind) -> &'static str {
    match kind {
        HPy_SourceKind::Expr => "eval",
        HPy_SourceKind::File => "exec",
        _ => "single",
    }
}

/// Calls the builtin function `name`.
fn call_builtin(vm: &VirtualMachine, name: &str, args: Vec<PyObjectRef>) -> PyResult {
    let name = vm.ctx.new_str(name);
    vm.builtins.as_object().get_attr(&name, vm)?.call(args, vm)
}

/// `TypeError` unless `var` is a `contextvars.ContextVar`: the methods are
/// looked up by name, so without this check any object with a `get` or
/// `set` would pass, where CPython's C API refuses it.
fn check_context_var(vm: &VirtualMachine, var: &PyObject) -> PyResult<()> {
    let class = vm.import("contextvars", 0)?.get_attr("ContextVar", vm)?;
    let class = class.downcast::<PyType>().map_err(|_| vm.new_type_error("contextvars.ContextVar is not a type"))?;
    if var.fast_isinstance(&class) {
        Ok(())
    } else {
        Err(vm.new_type_error("an instance of ContextVar was expected"))
    }
}

/// The object a field or global slot holds (NULL for an empty one).
fn slot_object(slot: isize) -> HPy {
    if slot == 0 {
        return HPy::NULL;
    }
    // SAFETY: a non-empty slot holds a strong reference made by `o2h`.
    o2h(unsafe { h2ref(HPy { _i: slot }) })
}

/// Stores a new reference to `h` (or nothing) in a slot, releasing what it
/// held after the new value is in place (releasing may run code that reads
/// the slot).
fn slot_store(slot: &mut isize, h: HPy) {
    // SAFETY: `h` is NULL or a live handle.
    let new = unsafe { h2o_opt(h) }.map_or(0, |o| o2h(o.to_owned())._i);
    let old = core::mem::replace(slot, new);
    if old != 0 {
        // SAFETY: the slot owned this reference.
        drop(unsafe { take_handle(HPy { _i: old }) });
    }
}

/// The index value of a slice bound, clamped to the `Py_ssize_t` range as
/// `_PyEval_SliceIndex` does.
fn slice_index(vm: &VirtualMachine, obj: &PyObject) -> PyResult<isize> {
    use rustpython_vm::builtins::PyInt;
    let int = obj.try_index_opt(vm).ok_or_else(|| {
        vm.new_type_error("slice indices must be integers or None or have an __index__ method")
    })??;
    let v: &rustpython_vm::Py<PyInt> = &int;
    Ok(match v.try_to_primitive::<isize>(vm) {
        Ok(i) => i,
        Err(_) if v.as_bigint().sign() == malachite_bigint::Sign::Minus => isize::MIN,
        Err(_) => isize::MAX,
    })
}

fn slice_unpack(vm: &VirtualMachine, s: &PySlice) -> PyResult<(isize, isize, isize)> {
    let none = |o: &Option<PyObjectRef>| o.as_ref().is_none_or(|o| vm.is_none(o));
    let step = if none(&s.step) { 1 } else { slice_index(vm, s.step.as_ref().unwrap())? };
    if step == 0 {
        return Err(vm.new_value_error("slice step cannot be zero"));
    }
    let step = step.max(-isize::MAX);
    let start = if none(&s.start) {
        if step < 0 { isize::MAX } else { 0 }
    } else {
        slice_index(vm, s.start.as_ref().unwrap())?
    };
    let stop = if vm.is_none(&s.stop) {
        if step < 0 { isize::MIN } else { isize::MAX }
    } else {
        slice_index(vm, &s.stop)?
    };
    Ok((start, stop, step))
}

impl ObjectHost for RustPython {
    #[inline]
    fn dup(_vm: &VirtualMachine, h: HPy) -> HPy {
        // SAFETY: `h` is NULL or a live handle.
        unsafe { h2o_opt(h) }.map_or(HPy::NULL, |o| o2h(o.to_owned()))
    }

    #[inline]
    fn close(_vm: &VirtualMachine, h: HPy) {
        if !h.is_null() {
            // SAFETY: the caller gives up the reference `h` owns.
            drop(unsafe { take_handle(h) });
        }
    }

    #[inline]
    fn is(_vm: &VirtualMachine, a: HPy, b: HPy) -> bool {
        a._i == b._i
    }

    fn is_kind(_vm: &VirtualMachine, h: HPy, kind: ObjectKind) -> bool {
        // SAFETY: `h` is a live handle.
        let obj = unsafe { h2o(h) };
        match kind {
            ObjectKind::Callable => obj.is_callable(),
            ObjectKind::Tuple => obj.downcast_ref::<PyTuple>().is_some(),
            ObjectKind::Dict => obj.downcast_ref::<PyDict>().is_some(),
        }
    }

    fn type_of(_vm: &VirtualMachine, h: HPy) -> HPy {
        // SAFETY: `h` is a live handle.
        o2h(unsafe { h2o(h) }.class().to_owned().into())
    }

    fn type_check(_vm: &VirtualMachine, obj: HPy, ty: HPy) -> bool {
        // SAFETY: both handles are live.
        let (obj, ty) = unsafe { (h2o(obj), h2o(ty)) };
        ty.downcast_ref::<PyType>().is_some_and(|ty| obj.fast_isinstance(ty))
    }

    fn is_true(vm: &VirtualMachine, h: HPy) -> c_int {
        // SAFETY: `h` is a live handle.
        let obj = unsafe { h2ref(h) };
        truth(obj.is_true(vm))
    }

    fn convert(vm: &VirtualMachine, h: HPy, conversion: Conversion) -> HPy {
        // SAFETY: `h` is a live handle.
        let obj = unsafe { h2o(h) };
        match conversion {
            Conversion::Repr => result_handle(obj.repr(vm)),
            Conversion::Str => result_handle(obj.str(vm)),
            Conversion::Ascii => result_handle(obj.ascii(vm)),
            Conversion::Bytes => result_handle(obj.to_owned().bytes(vm)),
        }
    }

    fn rich_compare(vm: &VirtualMachine, v: HPy, w: HPy, op: HPy_RichCmpOp) -> HPy {
        let Some(op) = comparison(op) else { return bad_comparison(vm, HPy::NULL) };
        // SAFETY: both handles are live.
        let (v, w) = unsafe { (h2o(v), h2o(w)) };
        result_handle(v.to_owned().rich_compare(w.to_owned(), op, vm))
    }

    fn rich_compare_bool(vm: &VirtualMachine, v: HPy, w: HPy, op: HPy_RichCmpOp) -> c_int {
        let Some(op) = comparison(op) else { return bad_comparison(vm, -1) };
        // SAFETY: both handles are live.
        let (v, w) = unsafe { (h2o(v), h2o(w)) };
        truth(v.rich_compare_bool(w, op, vm))
    }

    fn hash(vm: &VirtualMachine, h: HPy) -> HPy_hash_t {
        // SAFETY: `h` is a live handle.
        let obj = unsafe { h2o(h) };
        result_or(obj.hash(vm).map(|h| h as HPy_hash_t), -1)
    }

    fn length(vm: &VirtualMachine, h: HPy) -> HPy_ssize_t {
        // SAFETY: `h` is a live handle.
        let obj = unsafe { h2o(h) };
        result_or(obj.length(vm).map(|n| n as HPy_ssize_t), -1)
    }

    unsafe fn key_from_utf8(vm: &VirtualMachine, utf8: *const c_char) -> HPy {
        // SAFETY: the ABI requires a NUL-terminated string.
        let bytes = unsafe { core::ffi::CStr::from_ptr(utf8) }.to_bytes();
        result_handle(decode_utf8(vm, bytes))
    }

    fn get_attr(vm: &VirtualMachine, obj: HPy, name: HPy) -> HPy {
        // SAFETY: both handles are live.
        let (obj, name) = unsafe { (h2o(obj), h2o(name)) };
        match name.downcast_ref::<rustpython_vm::builtins::PyStr>() {
            Some(name) => result_handle(obj.get_attr(name, vm)),
            None => fail(vm, ExcKind::TypeError, "attribute name must be string", HPy::NULL),
        }
    }

    fn set_attr(vm: &VirtualMachine, obj: HPy, name: HPy, value: HPy) -> c_int {
        // SAFETY: `obj` and `name` are live, `value` NULL or live.
        let (obj, name, value) = unsafe { (h2o(obj), h2o(name), h2o_opt(value)) };
        let Some(name) = name.downcast_ref::<rustpython_vm::builtins::PyStr>() else {
            return fail(vm, ExcKind::TypeError, "attribute name must be string", -1);
        };
        match value {
            Some(v) => status(obj.set_attr(name, v.to_owned(), vm)),
            None => status(obj.del_attr(name, vm)),
        }
    }

    fn get_item(vm: &VirtualMachine, obj: HPy, key: HPy) -> HPy {
        // SAFETY: both handles are live.
        let (obj, key) = unsafe { (h2o(obj), h2o(key)) };
        result_handle(obj.get_item(key, vm))
    }

    fn set_item(vm: &VirtualMachine, obj: HPy, key: HPy, value: HPy) -> c_int {
        // SAFETY: the handles are live.
        let (obj, key, value) = unsafe { (h2o(obj), h2o(key), h2ref(value)) };
        status(obj.set_item(key, value, vm))
    }

    fn del_item(vm: &VirtualMachine, obj: HPy, key: HPy) -> c_int {
        // SAFETY: both handles are live.
        let (obj, key) = unsafe { (h2o(obj), h2o(key)) };
        status(obj.del_item(key, vm))
    }

    fn contains(vm: &VirtualMachine, container: HPy, key: HPy) -> c_int {
        // SAFETY: both handles are live.
        let (container, key) = unsafe { (h2o(container), h2o(key)) };
        truth(vm._contains(container, key))
    }

    fn call_tuple_dict(vm: &VirtualMachine, callable: HPy, args: HPy, kw: HPy) -> HPy {
        // SAFETY: `callable` is live; the core checked that `args` is NULL or
        // a tuple and `kw` NULL or a dict.
        let (callable, args, kw) = unsafe { (h2o(callable), h2o_opt(args), h2o_opt(kw)) };
        let positional = args
            .and_then(|a| a.downcast_ref::<PyTuple>())
            .map_or_else(Vec::new, |t| t.as_slice().to_vec());
        let mut names = Vec::new();
        let mut values = positional;
        let nargs = values.len();
        if let Some(d) = kw.and_then(|d| d.downcast_ref::<PyDict>()) {
            for (k, v) in d {
                if k.downcast_ref::<rustpython_vm::builtins::PyStr>().is_none() {
                    return fail(vm, ExcKind::TypeError, "keywords must be strings", HPy::NULL);
                }
                names.push(k);
                values.push(v);
            }
        }
        vectorcall_refs(vm, callable, values, nargs, names)
    }

    unsafe fn vectorcall(vm: &VirtualMachine, callable: HPy, args: *const HPy, nargs: usize, kwnames: HPy) -> HPy {
        // SAFETY: HPy_Call's contract, which the core passes on: `callable`
        // is a live handle (`h2o`), and `args` and `kwnames` are what
        // `call_args` needs.
        let (callable, args) = unsafe { (h2o(callable), call_args(vm, args, nargs, kwnames)) };
        match args {
            Some((args, names)) => vectorcall_refs(vm, callable, args, nargs, names),
            None => HPy::NULL,
        }
    }

    unsafe fn vectorcall_method(vm: &VirtualMachine, name: HPy, args: *const HPy, nargs: usize, kwnames: HPy) -> HPy {
        // SAFETY: HPy_CallMethod's contract, which the core passes on:
        // `name` is a live handle (`h2o`), and `args` (the receiver first)
        // and `kwnames` are what `call_args` needs.
        let (name, args) = unsafe { (h2o(name), call_args(vm, args, nargs, kwnames)) };
        let Some((mut args, names)) = args else {
            return HPy::NULL;
        };
        // The core checked `nargs` >= 1, so the receiver is there.
        let receiver = args.remove(0);
        let Some(name) = name.downcast_ref::<rustpython_vm::builtins::PyStr>() else {
            return fail(vm, ExcKind::TypeError, "method name must be a string", HPy::NULL);
        };
        match receiver.get_attr(name, vm) {
            Ok(method) => vectorcall_refs(vm, &method, args, nargs - 1, names),
            Err(e) => {
                set_pending(e);
                HPy::NULL
            }
        }
    }

    fn dump(vm: &VirtualMachine, h: HPy) {
        // SAFETY: `h` is NULL or a live handle.
        match unsafe { h2o_opt(h) } {
            None => eprintln!("<NULL object>"),
            Some(obj) => {
                let repr = obj.repr(vm).map(|s| s.to_string()).unwrap_or_else(|_| "<repr failed>".into());
                eprintln!("object address  : {:p}", obj as *const PyObject);
                eprintln!("object refcount : {}", obj.strong_count());
                eprintln!("object type     : {}", obj.class().name());
                eprintln!("object repr     : {repr}");
            },
        }
    }

    unsafe fn fatal_error(message: *const c_char) -> ! {
        // SAFETY: `message` is NUL-terminated (`fatal_error`'s contract),
        // `c_text`'s one precondition. Nothing here touches the VM, so it
        // works from any thread, as the trait requires.
        let message = unsafe { c_text(message) };
        eprintln!("Fatal Python error: {message}");
        std::process::abort()
    }

    fn field_store(_vm: &VirtualMachine, _owner: HPy, field: &mut HPyField, h: HPy) {
        slot_store(&mut field._i, h)
    }

    fn field_load(_vm: &VirtualMachine, _owner: HPy, field: HPyField) -> HPy {
        slot_object(field._i)
    }

    fn global_store(_vm: &VirtualMachine, global: &mut HPyGlobal, h: HPy) {
        slot_store(&mut global._i, h)
    }

    fn global_load(_vm: &VirtualMachine, global: HPyGlobal) -> HPy {
        slot_object(global._i)
    }

    fn leave(_vm: &VirtualMachine) -> HPyThreadState {
        // RustPython has no global lock to release: other threads already
        // run in parallel. The state only has to be a valid, non-NULL token.
        HPyThreadState { _i: 1 }
    }

    fn reenter(_state: HPyThreadState) {}

    fn import_module(vm: &VirtualMachine, name: HPy) -> HPy {
        // SAFETY: `name` is a live handle.
        let name = unsafe { h2ref(name) };
        let r = vm
            .import("importlib", 0)
            .and_then(|m| m.get_attr("import_module", vm))
            .and_then(|f| f.call((name,), vm));
        result_handle(r)
    }

    unsafe fn compile(vm: &VirtualMachine, source: *const c_char, filename: *const c_char, kind: HPy_SourceKind) -> HPy {
        // SAFETY: both strings are NUL-terminated.
        let (source, filename) = unsafe { (c_text(source), c_text(filename)) };
        let args = vec![
            vm.ctx.new_str(source).into(),
            vm.ctx.new_str(filename).into(),
            vm.ctx.new_str(source_mode(kind)).into(),
        ];
        result_handle(call_builtin(vm, "compile", args))
    }

    fn eval_code(vm: &VirtualMachine, code: HPy, globals: HPy, locals: HPy) -> HPy {
        // SAFETY: `code` is live, the others NULL or live.
        let (code, globals, locals) = unsafe { (h2o(code), h2o_opt(globals), h2o_opt(locals)) };
        if code.downcast_ref::<rustpython_vm::builtins::PyCode>().is_none() {
            return fail(vm, ExcKind::TypeError, "HPy_EvalCode requires a code object", HPy::NULL);
        }
        let Some(globals) = globals.filter(|g| g.downcast_ref::<PyDict>().is_some()) else {
            return fail(vm, ExcKind::TypeError, "HPy_EvalCode requires globals to be a dict", HPy::NULL);
        };
        let locals = locals.map_or_else(|| globals.to_owned(), |l| l.to_owned());
        result_handle(call_builtin(vm, "eval", vec![code.to_owned(), globals.to_owned(), locals]))
    }

    unsafe fn context_var_new(vm: &VirtualMachine, name: *const c_char, default: HPy) -> HPy {
        // SAFETY: the name is NUL-terminated, `default` NULL or live.
        let (name, default) = unsafe { (c_text(name), h2o_opt(default)) };
        let r = vm.import("contextvars", 0).and_then(|m| m.get_attr("ContextVar", vm)).and_then(|cls| {
            let mut args = rustpython_vm::function::FuncArgs::from(vec![vm.ctx.new_str(name).into()]);
            if let Some(d) = default {
                args.kwargs.insert("default".into(), d.to_owned());
            }
            cls.call_with_args(args, vm)
        });
        result_handle(r)
    }

    fn context_var_get(vm: &VirtualMachine, var: HPy, default: HPy, result: &mut HPy) -> c_int {
        // SAFETY: `var` is live, `default` NULL or live.
        let (var, default) = unsafe { (h2o(var), h2o_opt(default)) };
        if let Err(e) = check_context_var(vm, var) {
            set_pending(e);
            return -1;
        }
        // `ContextVar.get` raises LookupError when there is no value and
        // no default; the C API reports that as a NULL result instead.
        let r = var.get_attr("get", vm).and_then(|get| match default {
            Some(d) => get.call((d.to_owned(),), vm),
            None => get.call((), vm),
        });
        match r {
            Ok(v) => {
                *result = o2h(v);
                0
            }
            Err(e) if e.fast_isinstance(vm.ctx.exceptions.lookup_error) => {
                *result = HPy::NULL;
                0
            }
            Err(e) => {
                set_pending(e);
                -1
            }
        }
    }

    fn context_var_set(vm: &VirtualMachine, var: HPy, value: HPy) -> HPy {
        // SAFETY: both handles are live.
        let (var, value) = unsafe { (h2o(var), h2ref(value)) };
        result_handle(check_context_var(vm, var).and_then(|()| vm.call_method(var, "set", (value,))))
    }

    unsafe fn capsule_new(vm: &VirtualMachine, pointer: *mut c_void, name: *const c_char, destructor: Option<&HPyCapsule_Destructor>) -> HPy {
        if pointer.is_null() {
            return fail(vm, ExcKind::ValueError, "HPyCapsule_New called with null pointer", HPy::NULL);
        }
        {
            let cls = crate::capsule::class().to_owned();
            result_handle(Capsule::new(pointer, name, destructor).into_ref_with_type(vm, cls))
        }
    }

    unsafe fn capsule_get(vm: &VirtualMachine, capsule: HPy, field: CapsuleField, name: *const c_char) -> *mut c_void {
        let null = core::ptr::null_mut();
        let Some(c) = capsule_of(vm, capsule, capsule_function(field, false)) else { return null };
        let p = c.parts();
        match field {
            CapsuleField::Pointer => {
                // SAFETY: both names are NULL or NUL-terminated.
                if !unsafe { same_name(p.name, name) } {
                    return fail(vm, ExcKind::ValueError, "HPyCapsule_GetPointer called with incorrect name", null);
                }
                p.pointer
            }
            CapsuleField::Name => p.name as *mut c_void,
            CapsuleField::Context => p.context,
        }
    }

    unsafe fn capsule_set(vm: &VirtualMachine, capsule: HPy, field: CapsuleField, value: *mut c_void) -> c_int {
        let Some(c) = capsule_of(vm, capsule, capsule_function(field, true)) else { return -1 };
        match field {
            CapsuleField::Pointer if value.is_null() => {
                return fail(vm, ExcKind::ValueError, "HPyCapsule_SetPointer called with null pointer", -1);
            }
            CapsuleField::Pointer => c.update(|p| p.pointer = value),
            CapsuleField::Name => c.update(|p| p.name = value as *const c_char),
            CapsuleField::Context => c.update(|p| p.context = value),
        }
        0
    }

    fn capsule_set_destructor(vm: &VirtualMachine, capsule: HPy, destructor: Option<&HPyCapsule_Destructor>) -> c_int {
        let Some(c) = capsule_of(vm, capsule, "HPyCapsule_SetDestructor") else { return -1 };
        c.update(|p| p.destructor = destructor.and_then(|d| d.impl_));
        0
    }

    unsafe fn capsule_is_valid(_vm: &VirtualMachine, capsule: HPy, name: *const c_char) -> c_int {
        // SAFETY: `capsule` is NULL or a live handle.
        let Some(c) = unsafe { h2o_opt(capsule) }.and_then(|o| o.downcast_ref::<Capsule>()) else { return 0 };
        let p = c.parts();
        // SAFETY: both names are NULL or NUL-terminated.
        c_int::from(!p.pointer.is_null() && unsafe { same_name(p.name, name) })
    }

    fn slice_unpack(vm: &VirtualMachine, slice: HPy, start: &mut HPy_ssize_t, stop: &mut HPy_ssize_t, step: &mut HPy_ssize_t) -> c_int {
        // SAFETY: `slice` is NULL or a live handle.
        let Some(s) = unsafe { h2o_opt(slice) }.and_then(|o| o.downcast_ref::<PySlice>()) else {
            return fail(vm, ExcKind::TypeError, "HPySlice_Unpack requires a slice", -1);
        };
        match slice_unpack(vm, s) {
            Ok((a, b, c)) => {
                (*start, *stop, *step) = (a, b, c);
                0
            }
            Err(e) => {
                set_pending(e);
                -1
            }
        }
    }

    unsafe fn from_pyobject(vm: &VirtualMachine, _obj: *mut cpy_PyObject) -> HPy {
        no_c_api(vm, "HPy_FromPyObject", HPy::NULL)
    }

    fn as_pyobject(vm: &VirtualMachine, _h: HPy) -> *mut cpy_PyObject {
        no_c_api(vm, "HPy_AsPyObject", core::ptr::null_mut())
    }
}
