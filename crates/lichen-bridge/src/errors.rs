//! Exceptions crossing between the two VMs.
//!
//! A built-in exception class stands for the built-in of the same name on
//! the other side; any other exception class gets a mirror class there
//! (same name, module and qualified name, bases mirrored), made once and
//! kept, so `except msgpack.ExtraData` on RustPython catches what
//! `_cmsgpack` raises with its imported `ExtraData`. An exception crosses
//! as a new instance of the mirrored class with the converted `args`; it
//! keeps the original in `__lichen_peer__` (a proxy), so crossing back
//! gives the original object, and the mirror classes read attributes
//! beyond `args` from it. An exception from CPython with a traceback gets
//! that traceback's text as a note (PEP 678). `__cause__`, `__context__`
//! and `__suppress_context__` cross with an exception, both ways.

use crate::convert::{check, to_c, to_rp};
use crate::ffi::{self, Obj};
use crate::runtime::{rt, Owned};
use crate::{cside, identity, rpside};
use rustpython_vm::builtins::{PyBaseException, PyBaseExceptionRef, PyStr, PyType, PyTypeRef};
use rustpython_vm::{AsObject, Py, PyObjectRef, PyResult, VirtualMachine};
use std::ffi::CString;

const PEER: &str = "__lichen_peer__";

/// The pending CPython error (cleared) as a RustPython exception. GIL held.
pub fn fetch(vm: &VirtualMachine) -> PyBaseExceptionRef {
    let api = &rt().api;
    let (mut t, mut v, mut tb) = (std::ptr::null_mut(), std::ptr::null_mut(), std::ptr::null_mut());
    // SAFETY: GIL held; we own the three references fetched.
    unsafe {
        (api.PyErr_Fetch)(&mut t, &mut v, &mut tb);
        if t.is_null() {
            return vm.new_system_error("lichen bridge: a CPython call failed without setting an exception");
        }
        (api.PyErr_NormalizeException)(&mut t, &mut v, &mut tb);
        if !tb.is_null() && !v.is_null() {
            (api.PyException_SetTraceback)(v, tb);
        }
    }
    let (_t, v, tb) = (Owned(t), Owned::new(v), Owned::new(tb));
    let Some(v) = v else {
        return vm.new_system_error("lichen bridge: CPython raised an exception that could not be normalised");
    };
    to_rp_exception(vm, v.0, tb.as_ref().map_or(std::ptr::null_mut(), |t| t.0))
        .unwrap_or_else(|e| e)
}

/// How many links of a `__cause__`/`__context__` chain cross with an
/// exception (the rest is left out, and a cyclic chain ends).
const MAX_CHAIN: usize = 100;

/// CPython's exception `v` (borrowed) as a RustPython exception; `tb`, if
/// not NULL, becomes a note. GIL held.
pub fn to_rp_exception(vm: &VirtualMachine, v: Obj, tb: Obj) -> PyResult<PyBaseExceptionRef> {
    to_rp_exception_at(vm, v, tb, 0)
}

/// [`to_rp_exception`] for the `depth`th link of a chain.
fn to_rp_exception_at(vm: &VirtualMachine, v: Obj, tb: Obj, depth: usize) -> PyResult<PyBaseExceptionRef> {
    let api = &rt().api;
    if let Some(peer) = c_attr(v, PEER) {
        // SAFETY: `peer` is a live object.
        if unsafe { cside::is_robject(peer.0) } {
            // SAFETY: checked to be an RObject.
            if let Ok(e) = unsafe { cside::target(peer.0) }.downcast::<PyBaseException>() {
                return Ok(e);
            }
        }
    }
    // SAFETY: `v` is live.
    let cls = rp_exception_class(vm, unsafe { ffi::type_of(v) })?;
    let args = match c_attr(v, "args") {
        Some(a) => to_rp(vm, a.0)?,
        None => vm.ctx.empty_tuple.clone().into(),
    };
    let args: rustpython_vm::builtins::PyTupleRef = args.try_into_value(vm).unwrap_or_else(|_| vm.ctx.empty_tuple.clone());
    let exc = cls.as_object().call(args.as_slice().to_vec(), vm)?;
    let exc: PyBaseExceptionRef = exc.downcast().map_err(|_| vm.new_type_error("exception class made no exception"))?;
    exc.as_object().set_attr(PEER, rpside::cobject_for(vm, v)?, vm)?;
    let stop = exc.class().fast_issubclass(vm.ctx.exceptions.stop_iteration);
    if !tb.is_null() && !stop {
        add_traceback_note(vm, &exc, tb);
    }
    if depth < MAX_CHAIN {
        chain_to_rp(vm, &exc, v, depth + 1);
    }
    let _ = api;
    Ok(exc)
}

/// Gives `exc` the `__cause__`, `__context__` and `__suppress_context__`
/// of CPython's `v`, each link converted (with its traceback's note). A
/// link that cannot cross is left out: the exception itself still does.
fn chain_to_rp(vm: &VirtualMachine, exc: &PyBaseExceptionRef, v: Obj, depth: usize) {
    let none = rt().st.none;
    let link = |name: &str| -> Option<PyBaseExceptionRef> {
        let o = c_attr(v, name).filter(|o| o.0 != none)?;
        let tb = c_attr(o.0, "__traceback__").filter(|t| t.0 != none);
        to_rp_exception_at(vm, o.0, tb.as_ref().map_or(std::ptr::null_mut(), |t| t.0), depth).ok()
    };
    let (cause, context) = (link("__cause__"), link("__context__"));
    let suppress = c_attr(v, "__suppress_context__").is_some_and(|s| s.0 == rt().st.true_);
    exc.set___context__(context);
    exc.set___cause__(cause);
    let _ = exc.as_object().set_attr("__suppress_context__", vm.ctx.new_bool(suppress), vm);
}

/// Notes the CPython traceback's text on `exc`.
fn add_traceback_note(vm: &VirtualMachine, exc: &PyBaseExceptionRef, tb: Obj) {
    let api = &rt().api;
    let format = cside::helper(c"format_tb");
    // SAFETY: GIL held; calling a helper function with one live argument.
    let text = unsafe { (api.PyObject_Vectorcall)(format, &tb, 1, std::ptr::null_mut()) };
    let Some(text) = Owned::new(text) else {
        // SAFETY: GIL held.
        unsafe { (api.PyErr_Clear)() };
        return;
    };
    if let Ok(text) = to_rp(vm, text.0) {
        let note = vm.ctx.new_str(format!("Traceback in the embedded CPython (most recent call last):\n{}", text.str(vm).map(|s| s.to_string()).unwrap_or_default()));
        let _ = vm.call_method(exc.as_object(), "add_note", (note,));
    }
}

/// Attribute `name` of `o`, or None (error cleared). GIL held.
fn c_attr(o: Obj, name: &str) -> Option<Owned> {
    let api = &rt().api;
    let cname = CString::new(name).ok()?;
    // SAFETY: the GIL is held and `o` is a live object (this function is
    // only given objects its caller holds); `cname` is NUL-terminated.
    let r = Owned::new(unsafe { (api.PyObject_GetAttrString)(o, cname.as_ptr()) });
    if r.is_none() {
        // SAFETY: GIL held.
        unsafe { (api.PyErr_Clear)() };
    }
    r
}

/// The RustPython class standing for CPython's exception class `c`. GIL held.
pub fn rp_exception_class(vm: &VirtualMachine, c: Obj) -> PyResult<PyTypeRef> {
    if let Some(cls) = identity::EXCEPTION_CLASSES.rp_of(c as usize) {
        return Ok(cls);
    }
    let text = |name: &str| c_attr(c, name).and_then(|o| to_rp(vm, o.0).ok()).and_then(|o| o.downcast::<PyStr>().ok());
    let (name, module) = (text("__name__"), text("__module__"));
    let name = name.map(|n| n.to_string()).unwrap_or_else(|| "Exception".to_owned());
    let module = module.map(|m| m.to_string()).unwrap_or_default();
    let cls = if module == "builtins" { builtin_exception(vm, &name) } else { None };
    let cls = match cls {
        Some(cls) => cls,
        None => {
            let bases = c_attr(c, "__bases__").ok_or_else(|| vm.new_system_error("exception class without __bases__"))?;
            let bases = exception_bases_to_rp(vm, bases.0)?;
            let qualname = text("__qualname__").map(|q| q.to_string()).unwrap_or_else(|| name.clone());
            let helper = crate::module::rp_helper(vm)?;
            let made = vm.call_method(&helper, "make_exception_class", (name, module, qualname, vm.ctx.new_tuple(bases)))?;
            made.downcast().map_err(|_| vm.new_system_error("make_exception_class returned no class"))?
        }
    };
    // SAFETY: the pair keeps the CPython class for the process.
    unsafe { (rt().api.Py_IncRef)(c) };
    identity::EXCEPTION_CLASSES.remember(c as usize, cls.clone());
    Ok(cls)
}

/// The mirrored classes of a CPython `__bases__` tuple's exception classes.
fn exception_bases_to_rp(vm: &VirtualMachine, bases: Obj) -> PyResult<Vec<PyObjectRef>> {
    let api = &rt().api;
    // SAFETY: a tuple; items borrowed.
    let n = unsafe { (api.PyTuple_Size)(bases) };
    let mut out = Vec::new();
    for i in 0..n {
        // SAFETY: index in range.
        let b = unsafe { (api.PyTuple_GetItem)(bases, i) };
        // SAFETY: `b` is a type.
        if unsafe { (api.PyType_GetFlags)(b) } & ffi::PY_TPFLAGS_BASE_EXC_SUBCLASS != 0 {
            out.push(rp_exception_class(vm, b)?.into());
        }
    }
    if out.is_empty() {
        out.push(vm.ctx.exceptions.exception_type.to_owned().into());
    }
    Ok(out)
}

/// RustPython's built-in exception class `name`, if there is one.
fn builtin_exception(vm: &VirtualMachine, name: &str) -> Option<PyTypeRef> {
    let cls = vm.builtins.get_attr(&*vm.ctx.new_str(name), vm).ok()?.downcast::<PyType>().ok()?;
    cls.fast_issubclass(vm.ctx.exceptions.base_exception_type).then_some(cls)
}

/// The CPython class standing for RustPython's exception class `cls` (a
/// new reference). GIL held.
pub fn c_exception_class(vm: &VirtualMachine, cls: &Py<PyType>) -> PyResult<Obj> {
    let api = &rt().api;
    let addr = cls as *const Py<PyType> as usize;
    if let Some(c) = identity::EXCEPTION_CLASSES.c_of(addr) {
        // SAFETY: kept for the process.
        unsafe { (api.Py_IncRef)(c as Obj) };
        return Ok(c as Obj);
    }
    let module = cls.as_object().get_attr("__module__", vm).ok().and_then(|m| m.downcast::<PyStr>().ok());
    let is_builtin = module.as_ref().is_some_and(|m| m.to_str() == Some("builtins"));
    let made = if is_builtin { c_builtin(&cls.name()) } else { None };
    let made = match made {
        Some(c) => c,
        None => mirror_in_c(vm, cls)?,
    };
    // SAFETY: one reference kept by the pair, one returned.
    unsafe { (api.Py_IncRef)(made.0) };
    identity::EXCEPTION_CLASSES.remember(made.0 as usize, cls.to_owned());
    Ok(made.into_raw())
}

/// CPython's built-in `name` (a new reference), if it exists.
fn c_builtin(name: &str) -> Option<Owned> {
    let api = &rt().api;
    let cname = CString::new(name).ok()?;
    // SAFETY: GIL held.
    let builtins = Owned::new(unsafe { (api.PyImport_ImportModule)(c"builtins".as_ptr()) })?;
    let r = c_attr(builtins.0, cname.to_str().ok()?);
    r
}

/// A new CPython exception class mirroring RustPython's `cls`.
fn mirror_in_c(vm: &VirtualMachine, cls: &Py<PyType>) -> PyResult<Owned> {
    let api = &rt().api;
    let mut bases = Vec::new();
    for base in cls.bases.read().iter() {
        if base.fast_issubclass(vm.ctx.exceptions.base_exception_type) {
            bases.push(Owned(c_exception_class(vm, base)?));
        }
    }
    if bases.is_empty() {
        bases.push(c_builtin("Exception").ok_or_else(|| vm.new_system_error("no Exception in CPython"))?);
    }
    // SAFETY: GIL held.
    let bases = Owned(unsafe { crate::convert::build_tuple(vm, bases) }?);
    let text = |name: &str| cls.as_object().get_attr(&*vm.ctx.new_str(name), vm).unwrap_or_else(|_| vm.ctx.new_str(cls.name().to_string()).into());
    let name: PyObjectRef = vm.ctx.new_str(cls.name().to_string()).into();
    let strs = [name, text("__module__"), text("__qualname__")];
    let mut args = crate::convert::to_c_all(vm, &strs)?;
    args.push(bases);
    // SAFETY: GIL held.
    let args = Owned(unsafe { crate::convert::build_tuple(vm, args) }?);
    // SAFETY: a helper function called with a tuple.
    check(vm, unsafe { (api.PyObject_Call)(cside::helper(c"make_exception_class"), args.0, std::ptr::null_mut()) })
}

/// RustPython's exception `e` as a CPython exception (a new reference).
/// GIL held.
pub fn to_c_exception(vm: &VirtualMachine, e: &Py<PyBaseException>) -> PyResult<Obj> {
    to_c_exception_at(vm, e, 0)
}

/// [`to_c_exception`] for the `depth`th link of a chain.
fn to_c_exception_at(vm: &VirtualMachine, e: &Py<PyBaseException>, depth: usize) -> PyResult<Obj> {
    let api = &rt().api;
    if let Ok(peer) = e.as_object().get_attr(PEER, vm) {
        if let Some(c) = peer.downcast_ref::<rpside::CObject>() {
            return Ok(c.new_ref());
        }
    }
    let cls = Owned(c_exception_class(vm, e.class())?);
    let args = Owned(to_c(vm, e.args().as_object())?);
    // SAFETY: GIL held; calling a class with a tuple.
    let inst = check(vm, unsafe { (api.PyObject_Call)(cls.0, args.0, std::ptr::null_mut()) })?;
    let peer = Owned(rpside::robject_for(vm, e.as_object())?);
    // SAFETY: GIL held; exception instances have a __dict__.
    if unsafe { (api.PyObject_SetAttrString)(inst.0, c"__lichen_peer__".as_ptr(), peer.0) } != 0 {
        // SAFETY: GIL held.
        unsafe { (api.PyErr_Clear)() };
    }
    if depth < MAX_CHAIN {
        chain_to_c(vm, e, inst.0, depth + 1);
    }
    Ok(inst.into_raw())
}

/// Gives CPython's `inst` the `__cause__`, `__context__` and
/// `__suppress_context__` of RustPython's `e`, each link converted. A link
/// that cannot cross is left out. GIL held.
fn chain_to_c(vm: &VirtualMachine, e: &Py<PyBaseException>, inst: Obj, depth: usize) {
    let api = &rt().api;
    for (name, link) in [(c"__context__", e.__context__()), (c"__cause__", e.__cause__())] {
        let Some(c) = link.and_then(|l| to_c_exception_at(vm, &l, depth).ok()).map(Owned) else { continue };
        // SAFETY: GIL held; both live; setting an exception's chain.
        if unsafe { (api.PyObject_SetAttrString)(inst, name.as_ptr(), c.0) } != 0 {
            // SAFETY: GIL held.
            unsafe { (api.PyErr_Clear)() };
        }
    }
    let suppress = e.as_object().get_attr("__suppress_context__", vm).is_ok_and(|s| s.is(&vm.ctx.true_value));
    let st = &rt().st;
    // SAFETY: GIL held; a bool singleton, borrowed by SetAttr.
    if unsafe { (api.PyObject_SetAttrString)(inst, c"__suppress_context__".as_ptr(), if suppress { st.true_ } else { st.false_ }) } != 0 {
        // SAFETY: GIL held.
        unsafe { (api.PyErr_Clear)() };
    }
}

/// Raises RustPython's `e` in CPython (sets the error indicator). GIL held.
pub fn set_c_error(vm: &VirtualMachine, e: &PyBaseExceptionRef) {
    let api = &rt().api;
    match to_c_exception(vm, e) {
        Ok(c) => {
            // SAFETY: GIL held; SetObject borrows both.
            unsafe {
                (api.PyErr_SetObject)(ffi::type_of(c), c);
                (api.Py_DecRef)(c);
            }
        }
        Err(_) => {
            let msg = CString::new(format!("lichen bridge: an exception could not cross into CPython: {}", e.as_object().str(vm).map(|s| s.to_string()).unwrap_or_default())).unwrap_or_default();
            // SAFETY: GIL held.
            unsafe { (api.PyErr_SetString)(rt().st.runtime_error, msg.as_ptr()) };
        }
    }
}
