//! CPython objects seen from RustPython: `CObject`, the native base class
//! of their proxies, holding a strong CPython reference.
//!
//! Each CPython type gets its own proxy class (a subclass of `CObject`
//! made by `rpside.py`'s `make_class`, kept for the process), carrying
//! only the special methods the CPython type has, so `callable()`,
//! `iter()`, `len()` and the operators behave as the target's. Attribute
//! access, `repr`, hashing, comparison and calls are native slots of
//! `CObject`; the other special methods are small Python methods calling
//! [`invoke`]. Comparisons ask the target's own slot only, so that each
//! side's reflected method is tried once.
//!
//! Dropping a proxy does not wait for the GIL: its reference is queued
//! and released at the next entry into CPython (see [`release_pending`]).

use crate::convert::{self, check, to_c, to_rp};
use crate::ffi::{self, Obj};
use crate::runtime::{rt, Gil, Owned};
use crate::{cside, identity};
use rustpython_vm::builtins::{PyStr, PyStrRef, PyTupleRef, PyType, PyTypeRef};
use rustpython_vm::function::{Either, FuncArgs, PySetterValue};
use rustpython_vm::types::{Comparable, GetAttr, Hashable, PyComparisonOp, Representable, SetAttr};
use rustpython_vm::{AsObject, Py, PyObject, PyObjectRef, PyPayload, PyRef, PyResult, VirtualMachine};
use std::ffi::{c_int, CString};
use std::sync::Mutex;

/// A proxy's target: one strong CPython reference.
#[rustpython_vm::pyclass(module = "_lichen_bridge", name = "CObject")]
#[derive(PyPayload)]
pub struct CObject {
    ptr: Obj,
}

// SAFETY: the pointer is only dereferenced by CPython with the GIL held;
// the reference it stands for may be released from any thread.
unsafe impl Send for CObject {}
// SAFETY: as above; the field never changes.
unsafe impl Sync for CObject {}

impl std::fmt::Debug for CObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CObject({:p})", self.ptr)
    }
}

/// CPython references of dropped proxies, released at the next entry.
static PENDING: Mutex<Vec<usize>> = Mutex::new(Vec::new());

impl Drop for CObject {
    fn drop(&mut self) {
        identity::forget_cobject(self.ptr as usize);
        PENDING.lock().unwrap_or_else(|e| e.into_inner()).push(self.ptr as usize);
    }
}

/// Releases the references of dropped proxies. Called with the GIL held.
pub fn release_pending() {
    let pending = std::mem::take(&mut *PENDING.lock().unwrap_or_else(|e| e.into_inner()));
    let api = &rt().api;
    for o in pending {
        // SAFETY: each was a strong reference owned by a dropped proxy.
        unsafe { (api.Py_DecRef)(o as Obj) };
    }
}

impl CObject {
    /// The target (borrowed).
    pub fn ptr(&self) -> Obj {
        self.ptr
    }

    /// A new reference to the target. GIL held.
    pub fn new_ref(&self) -> Obj {
        // SAFETY: the proxy keeps the target alive; GIL held by the caller.
        unsafe { (rt().api.Py_IncRef)(self.ptr) };
        self.ptr
    }
}

#[rustpython_vm::pyclass(with(GetAttr, SetAttr, Representable, Hashable, Comparable), flags(BASETYPE, HAS_WEAKREF))]
impl CObject {}

/// Import-system bookkeeping RustPython's importlib sets on a module it
/// loaded: kept off the CPython module (which keeps its own).
const IMPORT_NAMES: &[&str] = &["__spec__", "__loader__", "__package__", "__file__", "__cached__", "__path__"];

impl GetAttr for CObject {
    fn getattro(zelf: &Py<Self>, name: &Py<PyStr>, vm: &VirtualMachine) -> PyResult {
        if name.to_str() == Some("__class__") {
            return Ok(zelf.class().to_owned().into());
        }
        let _gil = Gil::enter(vm);
        let n = Owned(to_c(vm, name.as_object())?);
        // SAFETY: GIL held, both objects live.
        let r = check(vm, unsafe { (rt().api.PyObject_GetAttr)(zelf.ptr, n.0) })?;
        to_rp(vm, r.0)
    }
}

impl SetAttr for CObject {
    fn setattro(zelf: &Py<Self>, name: &Py<PyStr>, value: PySetterValue, vm: &VirtualMachine) -> PyResult<()> {
        let rt = rt();
        let _gil = Gil::enter(vm);
        // SAFETY: GIL held; an instance check.
        if name.to_str().is_some_and(|n| IMPORT_NAMES.contains(&n)) && unsafe { (rt.api.PyObject_IsInstance)(zelf.ptr, rt.module_type) } == 1 {
            return Ok(());
        }
        let n = Owned(to_c(vm, name.as_object())?);
        let v = match value {
            PySetterValue::Assign(v) => Some(Owned(to_c(vm, &v)?)),
            PySetterValue::Delete => None,
        };
        let v_ptr = v.as_ref().map_or(std::ptr::null_mut(), |v| v.0);
        // SAFETY: GIL held; NULL deletes.
        if unsafe { (rt.api.PyObject_SetAttr)(zelf.ptr, n.0, v_ptr) } != 0 {
            return Err(convert::fetched(vm));
        }
        Ok(())
    }
}

impl Representable for CObject {
    fn repr(zelf: &Py<Self>, vm: &VirtualMachine) -> PyResult<PyStrRef> {
        let _gil = Gil::enter(vm);
        // SAFETY: GIL held.
        let r = check(vm, unsafe { (rt().api.PyObject_Repr)(zelf.ptr) })?;
        to_rp(vm, r.0)?.try_into_value(vm)
    }
}

impl Hashable for CObject {
    fn hash(zelf: &Py<Self>, vm: &VirtualMachine) -> PyResult<rustpython_vm::common::hash::PyHash> {
        let _gil = Gil::enter(vm);
        // SAFETY: GIL held.
        let h = unsafe { (rt().api.PyObject_Hash)(zelf.ptr) };
        if h == -1 {
            return Err(convert::fetched(vm));
        }
        Ok(h as i64)
    }
}

impl Comparable for CObject {
    fn slot_richcompare(
        zelf: &PyObject,
        other: &PyObject,
        op: PyComparisonOp,
        vm: &VirtualMachine,
    ) -> PyResult<Either<PyObjectRef, rustpython_vm::function::PyComparisonValue>> {
        let zelf = zelf.downcast_ref::<CObject>().ok_or_else(|| vm.new_type_error("not a CPython proxy"))?;
        compare(zelf, other, op, vm).map(Either::A)
    }

    fn cmp(zelf: &Py<Self>, other: &PyObject, op: PyComparisonOp, vm: &VirtualMachine) -> PyResult<rustpython_vm::function::PyComparisonValue> {
        let r = compare(zelf, other, op, vm)?;
        Ok(match r.clone().try_into_value::<bool>(vm) {
            Ok(b) if !r.is(&vm.ctx.not_implemented) => rustpython_vm::function::PyComparisonValue::Implemented(b),
            _ => rustpython_vm::function::PyComparisonValue::NotImplemented,
        })
    }
}

/// The target type's own `tp_richcompare` with the converted `other`.
fn compare(zelf: &CObject, other: &PyObject, op: PyComparisonOp, vm: &VirtualMachine) -> PyResult {
    let api = &rt().api;
    let _gil = Gil::enter(vm);
    // SAFETY: GIL held; the slot of the target's type, if any.
    let slot = unsafe { (api.PyType_GetSlot)(ffi::type_of(zelf.ptr), ffi::PY_TP_RICHCOMPARE) };
    if slot.is_null() {
        return Ok(vm.ctx.not_implemented());
    }
    // SAFETY: tp_richcompare's signature.
    let f: unsafe extern "C" fn(Obj, Obj, c_int) -> Obj = unsafe { std::mem::transmute(slot) };
    let o = Owned(to_c(vm, other)?);
    // SAFETY: GIL held, live objects, op in 0..=5.
    let r = check(vm, unsafe { f(zelf.ptr, o.0, op_number(op)) })?;
    to_rp(vm, r.0)
}

fn op_number(op: PyComparisonOp) -> c_int {
    match op {
        PyComparisonOp::Lt => 0,
        PyComparisonOp::Le => 1,
        PyComparisonOp::Eq => 2,
        PyComparisonOp::Ne => 3,
        PyComparisonOp::Gt => 4,
        _ => 5,
    }
}

/// `CObject`'s call slot, set on the proxy classes of callable types.
fn call_slot(zelf: &PyObject, args: FuncArgs, vm: &VirtualMachine) -> PyResult {
    let zelf = zelf.downcast_ref::<CObject>().ok_or_else(|| vm.new_type_error("not a CPython proxy"))?;
    let _gil = Gil::enter(vm);
    let kwargs: Vec<(&str, &PyObjectRef)> = args.kwargs.iter().map(|(k, v)| (k.as_str(), v)).collect();
    vectorcall(vm, zelf.ptr, &args.args, &kwargs)
}

/// Calls `callable` with converted positional and keyword arguments.
/// GIL held.
fn vectorcall(vm: &VirtualMachine, callable: Obj, args: &[PyObjectRef], kwargs: &[(&str, &PyObjectRef)]) -> PyResult {
    let api = &rt().api;
    let mut owned = Vec::with_capacity(args.len() + kwargs.len());
    for a in args {
        owned.push(Owned(to_c(vm, a)?));
    }
    let mut names = Vec::with_capacity(kwargs.len());
    for (name, value) in kwargs {
        names.push(Owned(to_c(vm, vm.ctx.new_str(*name).as_object())?));
        owned.push(Owned(to_c(vm, value)?));
    }
    let kwnames = if names.is_empty() {
        None
    } else {
        // SAFETY: GIL held.
        Some(Owned(unsafe { convert::build_tuple(vm, names) }?))
    };
    let ptrs: Vec<Obj> = owned.iter().map(|o| o.0).collect();
    let kw = kwnames.as_ref().map_or(std::ptr::null_mut(), |k| k.0);
    // SAFETY: GIL held; `ptrs` holds live references for the call.
    let r = check(vm, unsafe { (api.PyObject_Vectorcall)(callable, ptrs.as_ptr(), args.len(), kw) })?;
    to_rp(vm, r.0)
}

/// `_lichen_bridge.invoke(proxy, name, args)`: the target's method `name`
/// called with `args` (the special methods of proxy classes).
pub fn invoke(zelf: PyRef<CObject>, name: PyStrRef, args: PyTupleRef, vm: &VirtualMachine) -> PyResult {
    let _gil = Gil::enter(vm);
    let n = Owned(to_c(vm, name.as_object())?);
    // SAFETY: GIL held.
    let method = check(vm, unsafe { (rt().api.PyObject_GetAttr)(zelf.ptr, n.0) })?;
    vectorcall(vm, method.0, args.as_slice(), &[])
}

/// The RustPython proxy of `o` (borrowed): the existing one, or a new one
/// of its type's proxy class. GIL held.
pub fn cobject_for(vm: &VirtualMachine, o: Obj) -> PyResult {
    if let Some(p) = identity::cobject(o as usize) {
        return Ok(p);
    }
    // SAFETY: `o` is live.
    let cls = rp_proxy_class(vm, unsafe { ffi::type_of(o) })?;
    // SAFETY: the proxy takes its own reference.
    unsafe { (rt().api.Py_IncRef)(o) };
    let proxy = CObject { ptr: o }.into_ref_with_type(vm, cls)?;
    identity::remember_cobject(o as usize, proxy.as_object().downgrade(None, vm)?);
    Ok(proxy.into())
}

/// The special methods forwarded when the target's type has them.
pub const SPECIALS: &[&str] = &[
    "__len__", "__getitem__", "__setitem__", "__delitem__", "__contains__", "__iter__", "__next__",
    "__reversed__", "__length_hint__", "__bool__", "__int__", "__float__", "__index__", "__complex__",
    "__abs__", "__neg__", "__pos__", "__invert__", "__round__", "__trunc__", "__floor__", "__ceil__",
    "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__", "__rtruediv__",
    "__floordiv__", "__rfloordiv__", "__mod__", "__rmod__", "__divmod__", "__rdivmod__", "__pow__",
    "__rpow__", "__lshift__", "__rlshift__", "__rshift__", "__rrshift__", "__and__", "__rand__",
    "__or__", "__ror__", "__xor__", "__rxor__", "__matmul__", "__rmatmul__", "__enter__", "__exit__",
    "__str__", "__bytes__", "__format__", "__dir__", "__fspath__", "__get__", "__instancecheck__",
    "__subclasscheck__",
];

/// The proxy class for instances of the CPython type `tp`. GIL held.
fn rp_proxy_class(vm: &VirtualMachine, tp: Obj) -> PyResult<PyTypeRef> {
    if let Some(cls) = identity::rp_class(tp as usize) {
        return Ok(cls);
    }
    let rt = rt();
    let api = &rt.api;
    let attr = |name: &str, default: &str| -> PyObjectRef {
        let cname = CString::new(name).unwrap_or_default();
        // SAFETY: GIL held; a failed lookup is cleared.
        let o = unsafe { (api.PyObject_GetAttrString)(tp, cname.as_ptr()) };
        match Owned::new(o).map(|o| to_rp(vm, o.0)) {
            Some(Ok(v)) if v.downcastable::<PyStr>() => v,
            _ => {
                // SAFETY: as above.
                unsafe { (api.PyErr_Clear)() };
                vm.ctx.new_str(default).into()
            }
        }
    };
    let name = attr("__name__", "object");
    let module = attr("__module__", "builtins");
    let qualname = attr("__qualname__", "object");
    let specials: Vec<PyObjectRef> = SPECIALS
        .iter()
        .filter(|s| {
            let c = CString::new(**s).unwrap_or_default();
            // SAFETY: GIL held; HasAttrString clears its own errors.
            unsafe { (api.PyObject_HasAttrString)(tp, c.as_ptr()) == 1 }
        })
        .map(|s| vm.ctx.new_str(*s).into())
        .collect();
    // SAFETY: slots of a live type.
    let (hash, call) = unsafe { ((api.PyType_GetSlot)(tp, ffi::PY_TP_HASH), (api.PyType_GetSlot)(tp, ffi::PY_TP_CALL)) };
    let hashable = !hash.is_null() && hash != rt.st.hash_not_implemented;
    let helper = crate::module::rp_helper(vm)?;
    let cls = vm.call_method(&helper, "make_class", (name, module, qualname, vm.ctx.new_tuple(specials), hashable))?;
    let cls: PyTypeRef = cls.downcast().map_err(|_| vm.new_system_error("make_class returned no class"))?;
    if !call.is_null() {
        cls.slots.call.store(Some(call_slot));
    }
    // SAFETY: the class keeps the type for the rest of the process.
    unsafe { (api.Py_IncRef)(tp) };
    identity::remember_rp_class(tp as usize, cls.clone());
    Ok(cls)
}

/// The CPython proxy of RustPython's `obj` (a new reference). GIL held.
pub fn robject_for(vm: &VirtualMachine, obj: &PyObject) -> PyResult<Obj> {
    let addr = obj as *const PyObject as usize;
    if let Some(p) = identity::robject(addr) {
        // SAFETY: a live proxy (entries go when proxies are freed, under the GIL).
        unsafe { (rt().api.Py_IncRef)(p as Obj) };
        return Ok(p as Obj);
    }
    let cls = c_proxy_class(vm, obj.class())?;
    // SAFETY: GIL held; `cls` is a subclass of RObject.
    let proxy = check(vm, unsafe { cside::new_robject(cls, obj.to_owned()) })?;
    identity::remember_robject(addr, proxy.0 as usize);
    Ok(proxy.into_raw())
}

/// The CPython proxy class for instances of RustPython's `cls` (borrowed).
fn c_proxy_class(vm: &VirtualMachine, cls: &Py<PyType>) -> PyResult<Obj> {
    let addr = cls as *const Py<PyType> as usize;
    if let Some(c) = identity::c_class(addr) {
        return Ok(c as Obj);
    }
    let specials: Vec<PyObjectRef> =
        SPECIALS.iter().filter(|s| cls.as_object().has_attr(&*vm.ctx.new_str(**s), vm).unwrap_or(false)).map(|s| vm.ctx.new_str(*s).into()).collect();
    let text = |name: &str, default: &str| -> PyObjectRef {
        match cls.as_object().get_attr(&*vm.ctx.new_str(name), vm) {
            Ok(v) if v.downcastable::<PyStr>() => v,
            _ => vm.ctx.new_str(default).into(),
        }
    };
    let hashable = !cls.as_object().get_attr("__hash__", vm).is_ok_and(|h| vm.is_none(&h));
    let is_module = cls.fast_issubclass(vm.ctx.types.module_type);
    let args = vm.ctx.new_tuple(vec![
        vm.ctx.new_str(cls.name().to_string()).into(),
        text("__module__", "builtins"),
        text("__qualname__", &cls.name()),
        vm.ctx.new_tuple(specials).into(),
        vm.ctx.new_bool(cls.slots.call.load().is_some()).into(),
        vm.ctx.new_bool(hashable).into(),
        vm.ctx.new_bool(is_module).into(),
    ]);
    let c_args = Owned(to_c(vm, args.as_object())?);
    // SAFETY: GIL held; a function of the helper namespace, called with a tuple.
    let made = check(vm, unsafe { (rt().api.PyObject_Call)(cside::helper(c"make_class"), c_args.0, std::ptr::null_mut()) })?;
    let made = made.into_raw();
    identity::remember_c_class(cls.to_owned(), made as usize);
    Ok(made)
}
