//! What the bridge puts inside CPython: `RObject`, the native base type of
//! the proxies that stand for RustPython objects there, the native
//! functions behind them (`_rt`), and `python/cside.py` (the proxy class
//! factory, the import hooks, the extension loader).
//!
//! An `RObject` is a CPython object whose one field is a strong
//! RustPython reference (`PyObjectRef::into_raw`); its deallocation
//! releases it. The RustPython side reaches these functions only as
//! callbacks from C, always on a thread that entered CPython from
//! RustPython ([`crate::runtime::entry_vm`]).

use crate::ffi::{self, Obj, PyMethodDef, PyTypeSlot, PyTypeSpec};
use crate::runtime::{entry_vm, rt, Owned, Runtime, Unlocked};
use crate::{convert, errors, identity};
use rustpython_vm::function::FuncArgs;
use rustpython_vm::{AsObject, PyObject, PyObjectRef, PyResult, VirtualMachine};
use std::ffi::{c_char, c_int, c_void, CStr};
use std::ptr::{null, null_mut, NonNull};

const CSIDE_SOURCE: &str = concat!(include_str!("../python/values.py"), include_str!("../python/cside.py"), "\0");

/// The field of an `RObject`: after the object header.
///
/// # Safety
/// `o` must be an instance of (a subclass of) `RObject`.
unsafe fn target_slot(o: Obj) -> *mut *const PyObject {
    // SAFETY: RObject's basicsize is the header plus this one pointer.
    unsafe { o.cast::<u8>().add(std::mem::size_of::<ffi::PyObject>()).cast() }
}

/// Whether `o` is a proxy for a RustPython object.
///
/// # Safety
/// `o` must be a live object; the GIL must be held.
pub unsafe fn is_robject(o: Obj) -> bool {
    let rt = rt();
    // SAFETY: both are types; IsSubtype only reads their MROs.
    unsafe { (rt.api.PyType_IsSubtype)(ffi::type_of(o), rt.robject_type) != 0 }
}

/// The RustPython object an `RObject` stands for (a new reference).
///
/// # Safety
/// `o` must be an `RObject` whose target is set (always, once built).
pub unsafe fn target(o: Obj) -> PyObjectRef {
    // SAFETY: the slot holds a reference made by `into_raw`, alive as long
    // as `o`; we return another one.
    unsafe {
        let raw = *target_slot(o);
        (*raw).to_owned()
    }
}

/// A new `RObject` of proxy class `cls` for `obj` (new reference), or NULL
/// with a CPython error set.
///
/// # Safety
/// GIL held; `cls` a subclass of `RObject`.
pub unsafe fn new_robject(cls: Obj, obj: PyObjectRef) -> Obj {
    let api = &rt().api;
    // SAFETY: tp_alloc of a heap type made by `type()`: PyType_GenericAlloc.
    unsafe {
        let alloc: unsafe extern "C" fn(Obj, isize) -> Obj = std::mem::transmute((api.PyType_GetSlot)(cls, PY_TP_ALLOC));
        let o = alloc(cls, 0);
        if !o.is_null() {
            *target_slot(o) = PyObjectRef::into_raw(obj).as_ptr();
        }
        o
    }
}

const PY_TP_ALLOC: c_int = 47;

unsafe extern "C" fn robject_dealloc(o: Obj) {
    let api = &rt().api;
    // SAFETY: CPython calls this once, for an RObject, with the GIL held;
    // the target reference is ours to release, then the memory and the
    // reference to the heap type its instances hold.
    unsafe {
        let tp = ffi::type_of(o);
        let raw = std::mem::replace(&mut *target_slot(o), null());
        if let Some(raw) = NonNull::new(raw as *mut PyObject) {
            identity::forget_robject(raw.as_ptr() as usize, o);
            drop(PyObjectRef::from_raw(raw));
        }
        let free: unsafe extern "C" fn(*mut c_void) = std::mem::transmute((api.PyType_GetSlot)(tp, ffi::PY_TP_FREE));
        free(o.cast());
        (api.Py_DecRef)(tp);
    }
}

/// Runs `f` with the VM of the thread's entry, converting its error into
/// the CPython error; NULL then. Panics become SystemError.
pub(crate) fn callback(f: impl FnOnce(&VirtualMachine) -> Result<Obj, Failure>) -> Obj {
    let Some(vm) = entry_vm() else {
        // A thread CPython started (a C library's worker): a VM of its own.
        return crate::runtime::with_foreign_vm(|vm| callback_on(vm, f)).unwrap_or_else(|| {
            set_error_str(rt().st.runtime_error, "lichen bridge: RustPython code called before RustPython entered CPython");
            null_mut()
        });
    };
    callback_on(vm, f)
}

fn callback_on(vm: &VirtualMachine, f: impl FnOnce(&VirtualMachine) -> Result<Obj, Failure>) -> Obj {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(vm))) {
        Ok(Ok(o)) => o,
        Ok(Err(Failure::Python(e))) => {
            errors::set_c_error(vm, &e);
            null_mut()
        }
        Ok(Err(Failure::CPython)) => null_mut(),
        Err(_) => {
            set_error_str(rt().st.system_error, "lichen bridge: a Rust panic in a callback from CPython");
            null_mut()
        }
    }
}

/// How a callback failed: a RustPython exception to raise in CPython, or
/// a CPython error already set.
pub enum Failure {
    Python(rustpython_vm::builtins::PyBaseExceptionRef),
    CPython,
}

impl From<rustpython_vm::builtins::PyBaseExceptionRef> for Failure {
    fn from(e: rustpython_vm::builtins::PyBaseExceptionRef) -> Self {
        Failure::Python(e)
    }
}

fn set_error_str(exc: Obj, msg: &str) {
    let msg = std::ffi::CString::new(msg).unwrap_or_default();
    // SAFETY: GIL held (callbacks run under it); `msg` outlives the call.
    unsafe { (rt().api.PyErr_SetString)(exc, msg.as_ptr()) };
}

/// The `N` items (borrowed) of the argument tuple of one of `_rt`'s
/// METH_VARARGS functions, or a TypeError showing `usage`.
///
/// # Safety
/// GIL held; `args` the tuple CPython passed.
unsafe fn parts<const N: usize>(vm: &VirtualMachine, args: Obj, usage: &'static str) -> PyResult<[Obj; N]> {
    let api = &rt().api;
    // SAFETY: a tuple (METH_VARARGS), GIL held.
    if unsafe { (api.PyTuple_Size)(args) } != N as isize {
        return Err(vm.new_type_error(usage));
    }
    // SAFETY: indices below the size just read; the items are borrowed
    // from the tuple, which CPython holds for the call.
    Ok(std::array::from_fn(|i| unsafe { (api.PyTuple_GetItem)(args, i as isize) }))
}

/// The positional arguments C passes to RustPython code, CPython's tuple
/// `t` (borrowed), converted as [`convert::to_rp_arg`] says.
///
/// # Safety
/// GIL held; `t` live.
unsafe fn arg_items(vm: &VirtualMachine, t: Obj) -> PyResult<Vec<PyObjectRef>> {
    let api = &rt().api;
    // SAFETY: GIL held; PyTuple_Size sets an error for anything but a tuple.
    let n = unsafe { (api.PyTuple_Size)(t) };
    if n < 0 {
        return Err(convert::fetched(vm));
    }
    // SAFETY: indices in range; items borrowed from the tuple, which the
    // caller's tuple holds.
    (0..n).map(|i| convert::to_rp_arg(vm, unsafe { (api.PyTuple_GetItem)(t, i) })).collect()
}

/// Runs RustPython code with the GIL released, then converts its result.
fn run_unlocked(vm: &VirtualMachine, f: impl FnOnce() -> PyResult) -> Result<Obj, Failure> {
    let result = {
        let _unlocked = Unlocked::release();
        f()
    }?;
    Ok(convert::to_c(vm, &result)?)
}

/// `_rt.invoke(proxy, name, args)`: `proxy`'s target's method `name`
/// called with `args`.
unsafe extern "C" fn rt_invoke(_module: Obj, args: Obj) -> Obj {
    callback(|vm| {
        // SAFETY: METH_VARARGS passes a tuple, with the GIL held.
        let [zelf, name, rest] = unsafe { parts(vm, args, "invoke(proxy, name, args)") }?;
        let zelf = convert::to_rp(vm, zelf)?;
        let name: rustpython_vm::builtins::PyStrRef = convert::to_rp(vm, name)?.try_into_value(vm)?;
        // SAFETY: an item of the tuple, GIL held.
        let rest = unsafe { arg_items(vm, rest) }?;
        // Looked up on the type, as special methods are.
        let name = vm.ctx.intern_str(name.to_string());
        run_unlocked(vm, || vm.call_special_method(&zelf, name, rest))
    })
}

/// The `(callee, args, kwargs)` tuple of `_rt`'s call functions: the
/// callee as it is and the call's arguments; a TypeError showing `usage`
/// for a tuple of another length.
///
/// # Safety
/// `args` is the tuple a METH_VARARGS function received.
unsafe fn call_parts(vm: &VirtualMachine, args: Obj, usage: &'static str) -> PyResult<(PyObjectRef, FuncArgs)> {
    // SAFETY: `args` is the argument tuple of a METH_VARARGS function (this
    // function's contract), which CPython calls with the GIL held: what
    // `parts`, `arg_items` and `kwargs_of` require.
    let [callee, pos, kw] = unsafe { parts(vm, args, usage) }?;
    let callee = convert::to_rp(vm, callee)?;
    // SAFETY: GIL held (see above); `pos` and `kw` are live items of
    // `args`, which CPython holds for the call.
    let pos = unsafe { arg_items(vm, pos) }?;
    // SAFETY: as for `pos`.
    let kwargs = unsafe { kwargs_of(vm, kw) }?;
    Ok((callee, FuncArgs::new(pos, kwargs)))
}

/// `_rt.call(proxy, args, kwargs)`: calls `proxy`'s target.
unsafe extern "C" fn rt_call(_module: Obj, args: Obj) -> Obj {
    callback(|vm| {
        // SAFETY: `rt_call` is a METH_VARARGS function of `_rt`, so `args`
        // is the tuple CPython passed it, as `call_parts` requires.
        let (zelf, call) = unsafe { call_parts(vm, args, "call(proxy, args, kwargs)") }?;
        run_unlocked(vm, || zelf.call(call, vm))
    })
}

/// `_rt.call_class(cls, args, kwargs)`: calls the RustPython class the
/// proxy class `cls` stands for.
unsafe extern "C" fn rt_call_class(_module: Obj, args: Obj) -> Obj {
    callback(|vm| {
        // SAFETY: METH_VARARGS passes a tuple: (proxy class, args, kwargs).
        let target = unsafe { class_target(vm, (rt().api.PyTuple_GetItem)(args, 0)) }?;
        let (_, call) = unsafe { call_parts(vm, args, "call_class(cls, args, kwargs)") }?;
        run_unlocked(vm, || target.call(call, vm))
    })
}

/// `_rt.class_getattr(cls, name)`: an attribute of the RustPython class
/// the proxy class `cls` stands for.
unsafe extern "C" fn rt_class_getattr(_module: Obj, args: Obj) -> Obj {
    callback(|vm| {
        // SAFETY: METH_VARARGS passes a tuple: (proxy class, name).
        let cls = unsafe { (rt().api.PyTuple_GetItem)(args, 0) };
        let target = class_target(vm, cls)?;
        let name = convert::to_rp(vm, unsafe { (rt().api.PyTuple_GetItem)(args, 1) })?;
        let name: rustpython_vm::builtins::PyStrRef = name.try_into_value(vm)?;
        run_unlocked(vm, || target.get_attr(&name, vm))
    })
}

/// The RustPython class a CPython proxy class (or a CPython subclass of
/// one) stands for.
fn class_target(vm: &VirtualMachine, cls: Obj) -> PyResult<PyObjectRef> {
    let api = &rt().api;
    // SAFETY: GIL held; a class's __mro__ is a tuple of types.
    let mro = convert::check(vm, unsafe { (api.PyObject_GetAttrString)(cls, c"__mro__".as_ptr()) })?;
    for i in 0..unsafe { (api.PyTuple_Size)(mro.0) } {
        let c = unsafe { (api.PyTuple_GetItem)(mro.0, i) };
        if let Some(t) = identity::C_PROXY_CLASSES.rp_of(c as usize) {
            return Ok(t.into());
        }
    }
    Err(vm.new_type_error("this class stands for no RustPython class"))
}

/// The keyword arguments C passes to RustPython code, CPython's dict `kw`
/// (borrowed), their values converted as [`convert::to_rp_arg`] says.
///
/// # Safety
/// GIL held; `kw` live.
unsafe fn kwargs_of(vm: &VirtualMachine, kw: Obj) -> PyResult<rustpython_vm::function::KwArgs> {
    let api = &rt().api;
    // SAFETY: a live object's type, GIL held.
    if unsafe { (api.PyType_GetFlags)(ffi::type_of(kw)) } & ffi::PY_TPFLAGS_DICT_SUBCLASS == 0 {
        return Err(vm.new_type_error("keyword arguments must be a dict"));
    }
    // Taken before converting any: a conversion may run code.
    let mut taken = Vec::new();
    let (mut pos, mut k, mut v) = (0isize, std::ptr::null_mut(), std::ptr::null_mut());
    // SAFETY: PyDict_Next on a dict, GIL held; each borrowed key and value
    // gets a reference of its own (released by `Owned`).
    while unsafe { (api.PyDict_Next)(kw, &mut pos, &mut k, &mut v) } != 0 {
        // SAFETY: GIL held; `k` and `v` are live (borrowed from the dict).
        unsafe {
            (api.Py_IncRef)(k);
            (api.Py_IncRef)(v);
        }
        taken.push((Owned(k), Owned(v)));
    }
    let mut pairs = Vec::with_capacity(taken.len());
    for (k, v) in &taken {
        let k: rustpython_vm::builtins::PyStrRef = convert::to_rp(vm, k.0)?.try_into_value(vm)?;
        pairs.push((k.to_string(), convert::to_rp_arg(vm, v.0)?));
    }
    Ok(pairs.into_iter().collect())
}

/// `_rt.import_rp(name)`: RustPython's module `name` (imported there).
unsafe extern "C" fn rt_import_rp(_module: Obj, name: Obj) -> Obj {
    callback(|vm| {
        let name = convert::to_rp(vm, name)?;
        run_unlocked(vm, || {
            let importlib = vm.import("importlib", 0)?;
            vm.call_method(&importlib, "import_module", (name,))
        })
    })
}

/// `_rt.find_rp(name)`: whether RustPython can import `name`.
unsafe extern "C" fn rt_find_rp(_module: Obj, name: Obj) -> Obj {
    callback(|vm| {
        let name = convert::to_rp(vm, name)?;
        run_unlocked(vm, || {
            let util = vm.import("importlib.util", 0)?;
            let found = match vm.call_method(&util, "find_spec", (name,)) {
                Ok(spec) => !vm.is_none(&spec),
                Err(_) => false,
            };
            Ok(vm.ctx.new_bool(found).into())
        })
    })
}

/// `RObject`'s `tp_getattro`: the target's attribute (`__class__` stays
/// the proxy's, so CPython's own type checks see the proxy class).
unsafe extern "C" fn robject_getattro(o: Obj, name: Obj) -> Obj {
    callback(|vm| {
        // SAFETY: CPython passes a live RObject and a str.
        let zelf = unsafe { target(o) };
        let name = convert::to_rp(vm, name)?;
        let name: rustpython_vm::builtins::PyStrRef = name.try_into_value(vm)?;
        if name.to_str() == Some("__class__") {
            // SAFETY: generic lookup on the proxy itself.
            let n = convert::to_c(vm, name.as_object())?;
            let r = unsafe { (rt().api.PyObject_GenericGetAttr)(o, n) };
            // SAFETY: `n` is ours.
            unsafe { (rt().api.Py_DecRef)(n) };
            return if r.is_null() { Err(Failure::CPython) } else { Ok(r) };
        }
        run_unlocked(vm, || zelf.get_attr(&name, vm))
    })
}

/// `RObject`'s `tp_setattro`: sets or (value NULL) deletes the target's.
unsafe extern "C" fn robject_setattro(o: Obj, name: Obj, value: Obj) -> c_int {
    let r = callback(|vm| {
        // SAFETY: CPython passes a live RObject, a str and a value or NULL.
        let zelf = unsafe { target(o) };
        let name: rustpython_vm::builtins::PyStrRef = convert::to_rp(vm, name)?.try_into_value(vm)?;
        let value = if value.is_null() { None } else { Some(convert::to_rp_arg(vm, value)?) };
        run_unlocked(vm, || {
            match value {
                Some(v) => zelf.set_attr(&name, v, vm)?,
                None => zelf.del_attr(&name, vm)?,
            }
            Ok(vm.ctx.none())
        })
    });
    result_int(r)
}

/// 0 for a result (released), -1 for NULL.
fn result_int(r: Obj) -> c_int {
    if r.is_null() {
        return -1;
    }
    // SAFETY: a new reference from `callback`, GIL held.
    unsafe { (rt().api.Py_DecRef)(r) };
    0
}

unsafe extern "C" fn robject_repr(o: Obj) -> Obj {
    callback(|vm| {
        // SAFETY: a live RObject.
        let zelf = unsafe { target(o) };
        run_unlocked(vm, || zelf.repr(vm).map(Into::into))
    })
}

unsafe extern "C" fn robject_str(o: Obj) -> Obj {
    callback(|vm| {
        // SAFETY: a live RObject.
        let zelf = unsafe { target(o) };
        run_unlocked(vm, || zelf.str(vm).map(Into::into))
    })
}

unsafe extern "C" fn robject_hash(o: Obj) -> isize {
    let mut hash = -1isize;
    let r = callback(|vm| {
        // SAFETY: a live RObject.
        let zelf = unsafe { target(o) };
        let h = {
            let _unlocked = Unlocked::release();
            zelf.hash(vm)?
        };
        hash = if h == -1 { -2 } else { h as isize };
        Ok(rt().st.none)
    });
    if r.is_null() {
        -1
    } else {
        hash
    }
}

/// `RObject`'s `tp_richcompare`: the target's own comparison alone (its
/// type's slot, not the whole protocol), so that each side's reflected
/// comparison is tried once and NotImplemented comes back as such.
unsafe extern "C" fn robject_richcompare(o: Obj, other: Obj, op: c_int) -> Obj {
    callback(|vm| {
        // SAFETY: a live RObject.
        let zelf = unsafe { target(o) };
        let other = convert::to_rp_arg(vm, other)?;
        let op = comparison_op(op).ok_or_else(|| vm.new_system_error("bad comparison operator"))?;
        run_unlocked(vm, || {
            let Some(cmp) = zelf.class().slots.richcompare.load() else {
                return Ok(vm.ctx.not_implemented());
            };
            match cmp(&zelf, &other, op, vm)? {
                rustpython_vm::function::Either::A(obj) => Ok(obj),
                rustpython_vm::function::Either::B(value) => Ok(value.to_pyobject(vm)),
            }
        })
    })
}

fn comparison_op(op: c_int) -> Option<rustpython_vm::types::PyComparisonOp> {
    use rustpython_vm::types::PyComparisonOp as Op;
    Some(match op {
        0 => Op::Lt,
        1 => Op::Le,
        2 => Op::Eq,
        3 => Op::Ne,
        4 => Op::Gt,
        5 => Op::Ge,
        _ => return None,
    })
}

use rustpython_vm::convert::ToPyObject;

static METHODS: [PyMethodDef; 6] = [
    PyMethodDef { ml_name: c"call_class".as_ptr(), ml_meth: rt_call_class as *const c_void, ml_flags: ffi::METH_VARARGS, ml_doc: null() },
    PyMethodDef { ml_name: c"class_getattr".as_ptr(), ml_meth: rt_class_getattr as *const c_void, ml_flags: ffi::METH_VARARGS, ml_doc: null() },
    PyMethodDef { ml_name: c"invoke".as_ptr(), ml_meth: rt_invoke as *const c_void, ml_flags: ffi::METH_VARARGS, ml_doc: null() },
    PyMethodDef { ml_name: c"call".as_ptr(), ml_meth: rt_call as *const c_void, ml_flags: ffi::METH_VARARGS, ml_doc: null() },
    PyMethodDef { ml_name: c"import_rp".as_ptr(), ml_meth: rt_import_rp as *const c_void, ml_flags: ffi::METH_O, ml_doc: null() },
    PyMethodDef { ml_name: c"find_rp".as_ptr(), ml_meth: rt_find_rp as *const c_void, ml_flags: ffi::METH_O, ml_doc: null() },
];

/// Makes `RObject`, the `_rt` functions and runs `cside.py` into a new
/// namespace (`rt.helper`).
///
/// # Safety
/// Right after `Py_InitializeEx`, on the thread holding the GIL; `rt` is
/// not yet published, so nothing here may call [`rt()`].
pub unsafe fn set_up(rt: &mut Runtime) -> Result<(), String> {
    let api = &rt.api;
    let mut slots = [
        PyTypeSlot { slot: ffi::PY_TP_DEALLOC, pfunc: robject_dealloc as *mut c_void },
        PyTypeSlot { slot: ffi::PY_TP_GETATTRO, pfunc: robject_getattro as *mut c_void },
        PyTypeSlot { slot: ffi::PY_TP_SETATTRO, pfunc: robject_setattro as *mut c_void },
        PyTypeSlot { slot: ffi::PY_TP_REPR, pfunc: robject_repr as *mut c_void },
        PyTypeSlot { slot: ffi::PY_TP_STR, pfunc: robject_str as *mut c_void },
        PyTypeSlot { slot: ffi::PY_TP_HASH, pfunc: robject_hash as *mut c_void },
        PyTypeSlot { slot: ffi::PY_TP_RICHCOMPARE, pfunc: robject_richcompare as *mut c_void },
        PyTypeSlot { slot: 0, pfunc: null_mut() },
    ];
    let mut spec = PyTypeSpec {
        name: c"_lichen_rt.RObject".as_ptr(),
        basicsize: (std::mem::size_of::<ffi::PyObject>() + std::mem::size_of::<*const PyObject>()) as c_int,
        itemsize: 0,
        flags: ffi::PY_TPFLAGS_BASETYPE | ffi::PY_TPFLAGS_HAVE_VERSION_TAG,
        slots: slots.as_mut_ptr(),
    };
    let mut buffer_slots = [
        PyTypeSlot { slot: ffi::PY_BF_GETBUFFER, pfunc: crate::buffer::robject_getbuffer as *mut c_void },
        PyTypeSlot { slot: ffi::PY_BF_RELEASEBUFFER, pfunc: crate::buffer::robject_releasebuffer as *mut c_void },
        PyTypeSlot { slot: 0, pfunc: null_mut() },
    ];
    let mut buffer_spec = PyTypeSpec {
        name: c"_lichen_rt.RBufferObject".as_ptr(),
        basicsize: spec.basicsize,
        itemsize: 0,
        flags: spec.flags,
        slots: buffer_slots.as_mut_ptr(),
    };
    // SAFETY: the GIL is held; the specs and the method table are valid
    // (the slots are copied by PyType_FromSpec, the methods are static).
    unsafe {
        let robject = (api.PyType_FromSpec)(&mut spec);
        if robject.is_null() {
            return Err(pending_text(api, "cannot create the RObject type"));
        }
        let rbuffer = (api.PyType_FromSpecWithBases)(&mut buffer_spec, robject);
        if rbuffer.is_null() {
            return Err(pending_text(api, "cannot create the RBufferObject type"));
        }
        let module = (api.PyModule_New)(c"_lichen_rt".as_ptr());
        if module.is_null() {
            return Err(pending_text(api, "cannot create _lichen_rt"));
        }
        for def in &METHODS {
            let f = (api.PyCFunction_NewEx)(def, null_mut(), null_mut());
            if f.is_null() || (api.PyObject_SetAttrString)(module, def.ml_name, f) != 0 {
                return Err(pending_text(api, "cannot create _lichen_rt's functions"));
            }
            (api.Py_DecRef)(f);
        }
        let globals = (api.PyDict_New)();
        let builtins = (api.PyImport_ImportModule)(c"builtins".as_ptr());
        if globals.is_null() || builtins.is_null() {
            return Err(pending_text(api, "cannot set up the bridge's namespace"));
        }
        (api.PyDict_SetItemString)(globals, c"__builtins__".as_ptr(), builtins);
        (api.PyDict_SetItemString)(globals, c"__name__".as_ptr(), (api.PyUnicode_FromString)(c"_lichen_bridge_cside".as_ptr()));
        (api.PyDict_SetItemString)(globals, c"_rt".as_ptr(), module);
        (api.PyDict_SetItemString)(globals, c"RObject".as_ptr(), robject);
        (api.PyDict_SetItemString)(globals, c"RBufferObject".as_ptr(), rbuffer);
        let r = (api.PyRun_String)(CSIDE_SOURCE.as_ptr().cast::<c_char>(), ffi::PY_FILE_INPUT, globals, globals);
        if r.is_null() {
            return Err(pending_text(api, "the bridge's CPython code failed"));
        }
        (api.Py_DecRef)(r);
        let types = (api.PyImport_ImportModule)(c"types".as_ptr());
        let module_type = if types.is_null() { null_mut() } else { (api.PyObject_GetAttrString)(types, c"ModuleType".as_ptr()) };
        if module_type.is_null() {
            return Err(pending_text(api, "cannot find types.ModuleType"));
        }
        rt.robject_type = robject;
        rt.helper = globals;
        rt.module_type = module_type;
    }
    Ok(())
}

/// The pending CPython error as text (cleared), after `what`.
///
/// # Safety
/// GIL held.
unsafe fn pending_text(api: &ffi::Api, what: &str) -> String {
    // SAFETY: fetching and printing the error only needs the GIL.
    unsafe {
        let (mut t, mut v, mut tb) = (null_mut(), null_mut(), null_mut());
        (api.PyErr_Fetch)(&mut t, &mut v, &mut tb);
        if v.is_null() {
            return what.to_owned();
        }
        let s = (api.PyObject_Str)(v);
        let mut n = 0isize;
        let text = if s.is_null() { null() } else { (api.PyUnicode_AsUTF8AndSize)(s, &mut n) };
        let text = if text.is_null() { String::new() } else { CStr::from_ptr(text).to_string_lossy().into_owned() };
        (api.PyErr_Clear)();
        format!("{what}: {text}")
    }
}

/// A function of `cside.py`'s namespace (borrowed).
pub fn helper(name: &CStr) -> Obj {
    let rt = rt();
    // SAFETY: the namespace is a dict kept for the process; GIL held by
    // the caller.
    unsafe { (rt.api.PyDict_GetItemString)(rt.helper, name.as_ptr()) }
}
