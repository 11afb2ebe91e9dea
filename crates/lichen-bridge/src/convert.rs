//! Values crossing between the two VMs.
//!
//! By value: `None`, `bool`, `int` (any size), `float`, `str`, `bytes`
//! (instances of their subclasses too, as the base value),
//! `NotImplemented`, `Ellipsis`, and the exact containers `tuple`, `list`,
//! `dict`, `set`, `frozenset`, copied with their items converted by these
//! same rules (shared and cyclic containers stay shared and cyclic within
//! one conversion). C code reads containers through the concrete-type API
//! (`PyList_Check`, `PyTuple_GET_ITEM`, `PyDict_Next`), which no proxy can
//! satisfy, so they are copied into CPython. A call's arguments are one
//! conversion ([`CallArgs`]), whose mutable copies are written back after
//! the call (see [`crate::writeback`]). Into RustPython, a `list`, `dict`
//! or `set` CPython also references elsewhere crosses as a proxy (see
//! [`to_rp_result`], [`to_rp_arg`]): one object on both sides.
//!
//! Exceptions and exception classes cross as real exceptions of the other
//! side (see [`crate::errors`]). A proxy crossing back gives its target.
//! Everything else crosses as a proxy (see [`crate::rpside`] and
//! [`crate::cside`]).
//!
//! Every function here runs with the GIL held.

use crate::ffi::{self, Obj};
use crate::runtime::{rt, Owned, Runtime};
use crate::writeback::{Given, Tracker};
use crate::{cside, errors, rpside};
use malachite_bigint::BigInt;
use num_traits::ToPrimitive;
use rustpython_vm::builtins::{
    PyBaseException, PyByteArray, PyBytes, PyDict, PyFloat, PyFrozenSet, PyInt, PyList, PySet, PyStr, PyTuple, PyType,
};
use rustpython_vm::{AsObject, Py, PyObject, PyObjectRef, PyPayload, PyRef, PyResult, VirtualMachine};
use rustc_hash::FxHashMap;
use std::ffi::{c_char, c_int};

/// RustPython classes (by name) whose instances `values.py` may copy.
const RP_VALUE_TYPES: &[&str] = &["memoryview", "array", "Decimal", "datetime", "date", "time", "timedelta", "timezone"];
/// CPython types (by `tp_name`) whose instances `values.py` may copy.
const C_VALUE_TYPES: &[&str] =
    &["memoryview", "array.array", "decimal.Decimal", "datetime.datetime", "datetime.date", "datetime.time", "datetime.timedelta", "datetime.timezone"];

/// Nesting deeper than this raises RecursionError instead of exhausting
/// the native stack (each level is a few native frames).
const MAX_DEPTH: usize = 3000;

/// Dict keys (exact `str`s of valid UTF-8) at most this long are shared
/// within one conversion from CPython (see [`ToRp::key`]).
const KEY_MEMO_MAX: usize = 64;

/// Containers already converted in this conversion, by address (a cheap
/// hash: one entry per container makes SipHash a tenth of a large
/// document's conversion).
pub type Memo<T> = FxHashMap<usize, T>;

/// `obj` as a CPython object (a new reference).
pub fn to_c(vm: &VirtualMachine, obj: &PyObject) -> PyResult<Obj> {
    ToC { vm, memo: Memo::default(), depth: 0, track: false, tracker: None }.convert(obj)
}

/// The conversion of one call's arguments: one memo for all of them (the
/// same object passed twice, or reached twice, gives one copy), and the
/// mutable containers recorded for [`CallArgs::write_back`].
pub struct CallArgs<'a>(ToC<'a>);

impl<'a> CallArgs<'a> {
    pub fn new(vm: &'a VirtualMachine) -> CallArgs<'a> {
        CallArgs(ToC { vm, memo: Memo::default(), depth: 0, track: true, tracker: None })
    }

    /// `obj` as a CPython object (a new reference).
    pub fn convert(&mut self, obj: &PyObject) -> PyResult<Obj> {
        self.0.convert(obj)
    }

    /// Applies what the call changed in the copies to their originals
    /// (see [`crate::writeback`]).
    pub fn write_back(&self) -> PyResult<()> {
        self.0.tracker.as_ref().map_or(Ok(()), |t| t.write_back(self.0.vm))
    }

    /// The call's result `r` (a reference the caller owns) as a RustPython
    /// object, after [`CallArgs::write_back`]: a copy of an argument gives
    /// the argument, and the rest converts as [`to_rp_result`] says.
    pub fn result(&self, r: Obj) -> PyResult {
        let originals = self.0.tracker.as_ref().and_then(Tracker::originals_of_copies);
        ToRp::for_result(self.0.vm, originals).convert_paused(r)
    }
}

/// `o` (borrowed) as a RustPython object, its containers copied: for what
/// C hands over (a callback's arguments, an exception's `args`).
pub fn to_rp(vm: &VirtualMachine, o: Obj) -> PyResult {
    ToRp::new(vm).convert_paused(o)
}

/// `o` (borrowed), an argument C passes to RustPython code (a callback's,
/// a value set on a RustPython object): C holds it, so a mutable container
/// crosses as a proxy, inside a tuple too; the rest as [`to_rp_result`]
/// says.
pub fn to_rp_arg(vm: &VirtualMachine, o: Obj) -> PyResult {
    ToRp { in_shared: true, ..ToRp::for_result(vm, None) }.convert_paused(o)
}

/// `o`, the result of a call into CPython (a reference the caller owns),
/// as a RustPython object. A mutable container that CPython holds
/// elsewhere too (more references than the result's) crosses as a proxy,
/// so that both sides see one object: returned twice, it is one proxy
/// (`is` holds), and what RustPython changes in it, C sees. One referenced
/// only by the result is copied, which no one can tell from a proxy but by
/// its type (a parsed document, most results).
pub fn to_rp_result(vm: &VirtualMachine, o: Obj) -> PyResult {
    ToRp::for_result(vm, None).convert_paused(o)
}

/// Converts each of `objs` (new references, released on error).
pub fn to_c_all(vm: &VirtualMachine, objs: &[PyObjectRef]) -> PyResult<Vec<Owned>> {
    objs.iter().map(|o| to_c(vm, o).map(Owned)).collect()
}

/// A pending CPython error as a RustPython exception (after an API call
/// returned its error value).
pub fn fetched(vm: &VirtualMachine) -> rustpython_vm::builtins::PyBaseExceptionRef {
    errors::fetch(vm)
}

/// `o` or the pending error.
pub fn check(vm: &VirtualMachine, o: Obj) -> PyResult<Owned> {
    Owned::new(o).ok_or_else(|| fetched(vm))
}

struct ToC<'a> {
    vm: &'a VirtualMachine,
    memo: Memo<Obj>,
    depth: usize,
    /// Whether this converts a call's arguments, recording the mutable
    /// containers copied in `tracker` (made at the first: most calls pass
    /// none).
    track: bool,
    tracker: Option<Tracker>,
}

impl ToC<'_> {
    fn tracking(&mut self) -> Option<&mut Tracker> {
        if !self.track {
            return None;
        }
        Some(self.tracker.get_or_insert_with(Tracker::default))
    }

    /// Room for the `n` items of a tracked copy (see [`Tracker::reserve`]).
    fn reserve(&mut self, n: usize) -> usize {
        self.tracking().map_or(0, |t| t.reserve(n))
    }

    /// Holds `c`, just put into a tracked copy, for the call.
    fn put(&mut self, i: usize, c: Obj) {
        if let Some(t) = &mut self.tracker {
            t.put(i, c);
        }
    }

    /// Records `obj`'s copy for the write-back, its `n` items put from
    /// `start`.
    fn record(&mut self, obj: &PyObject, copy: Obj, start: usize, n: usize, given: impl FnOnce() -> Given) {
        if let Some(t) = self.tracking() {
            t.record(obj, copy, start, n, given());
        }
    }

    fn convert(&mut self, obj: &PyObject) -> PyResult<Obj> {
        let vm = self.vm;
        let rt = rt();
        if let Some(value) = self.singleton(obj) {
            // SAFETY: a static object, GIL held.
            unsafe { (rt.api.Py_IncRef)(value) };
            return Ok(value);
        }
        if let Some(proxy) = obj.downcast_ref::<rpside::CObject>() {
            return Ok(proxy.new_ref());
        }
        if let Some(v) = self.scalar(obj)? {
            return Ok(v);
        }
        if let Some(v) = self.container(obj)? {
            return Ok(v);
        }
        if let Some(v) = self.copied_value(obj)? {
            return Ok(v);
        }
        if let Some(e) = obj.downcast_ref::<PyBaseException>() {
            return errors::to_c_exception(vm, e);
        }
        if let Some(t) = obj.downcast_ref::<PyType>() {
            if t.fast_issubclass(vm.ctx.exceptions.base_exception_type) {
                return errors::c_exception_class(vm, t);
            }
            return rpside::type_to_c(vm, t);
        }
        if let Some(t) = obj.downcast_ref::<PyTuple>() {
            return self.tuple_like(obj, t);
        }
        rpside::robject_for(vm, obj)
    }

    /// An instance of a RustPython subclass of tuple (a namedtuple) as a
    /// real tuple of the class standing for it in CPython, its items
    /// converted, holding its original (see `cside.py`'s `_tuple_class`).
    fn tuple_like(&mut self, obj: &PyObject, t: &PyTuple) -> PyResult<Obj> {
        let (vm, api) = (self.vm, &rt().api);
        let cls = rpside::c_proxy_class(vm, obj.class())?;
        let items = self.items(t.as_slice())?;
        // SAFETY: GIL held; a new tuple of stolen references.
        let items = Owned(unsafe { build_tuple(vm, items) }?);
        // SAFETY: GIL held; tuple's `__new__`, called with the class (a
        // subclass of tuple, borrowed) and the items.
        let inst = unsafe {
            let new = check(vm, (api.PyObject_GetAttrString)(rt().st.tuple_type, c"__new__".as_ptr()))?;
            let args = [cls, items.0];
            check(vm, (api.PyObject_Vectorcall)(new.0, args.as_ptr(), 2, std::ptr::null_mut()))?
        };
        let origin = Owned(rpside::robject_for(vm, obj)?);
        // SAFETY: GIL held; the instance has a __dict__ (no __slots__).
        if unsafe { (api.PyObject_SetAttrString)(inst.0, c"__lichen_origin__".as_ptr(), origin.0) } != 0 {
            return Err(fetched(vm));
        }
        Ok(inst.into_raw())
    }

    fn singleton(&self, obj: &PyObject) -> Option<Obj> {
        let (vm, st) = (self.vm, &rt().st);
        if vm.is_none(obj) {
            Some(st.none)
        } else if obj.is(&vm.ctx.true_value) {
            Some(st.true_)
        } else if obj.is(&vm.ctx.false_value) {
            Some(st.false_)
        } else if obj.is(&vm.ctx.not_implemented) {
            Some(st.not_implemented)
        } else if obj.is(&vm.ctx.ellipsis) {
            Some(st.ellipsis)
        } else {
            None
        }
    }

    fn scalar(&self, obj: &PyObject) -> PyResult<Option<Obj>> {
        let api = &rt().api;
        // SAFETY (each arm): CPython constructors on valid memory, GIL held.
        let o = if let Some(s) = obj.downcast_ref::<PyStr>() {
            str_to_c(s)
        } else if let Some(i) = obj.downcast_ref::<PyInt>() {
            int_to_c(i.as_bigint())
        } else if let Some(f) = obj.downcast_ref::<PyFloat>() {
            // SAFETY: a plain constructor, GIL held.
            unsafe { (api.PyFloat_FromDouble)(f.to_f64()) }
        } else if let Some(b) = obj.downcast_ref::<PyBytes>() {
            // SAFETY: the bytes are borrowed for the copy, GIL held.
            unsafe { (api.PyBytes_FromStringAndSize)(b.as_bytes().as_ptr().cast(), b.as_bytes().len() as isize) }
        } else {
            return Ok(None);
        };
        check(self.vm, o).map(|o| Some(o.into_raw()))
    }

    fn container(&mut self, obj: &PyObject) -> PyResult<Option<Obj>> {
        let vm = self.vm;
        let cls = obj.class();
        let types = &vm.ctx.types;
        let is = |t: &rustpython_vm::Py<PyType>| cls.is(t);
        // Subclasses of dict and list too (OrderedDict, a Counter), as C's
        // PyDict_Check/PyList_Check take them; not of tuple: namedtuples
        // such as msgpack's ExtType are told apart by their class.
        let copied = is(types.tuple_type)
            || is(types.set_type)
            || is(types.frozenset_type)
            || obj.downcastable::<PyDict>()
            || obj.downcastable::<PyList>();
        if !copied {
            return Ok(None);
        }
        let addr = obj as *const PyObject as usize;
        if let Some(&done) = self.memo.get(&addr) {
            // SAFETY: the memo holds a reference for the conversion's length.
            unsafe { (rt().api.Py_IncRef)(done) };
            return Ok(Some(done));
        }
        if self.depth >= MAX_DEPTH {
            return Err(vm.new_recursion_error("maximum recursion depth exceeded while passing a container to CPython"));
        }
        self.depth += 1;
        let r = self.container_items(obj, addr);
        self.depth -= 1;
        r.map(Some)
    }

    fn container_items(&mut self, obj: &PyObject, addr: usize) -> PyResult<Obj> {
        let api = &rt().api;
        if let Some(t) = obj.downcast_ref::<PyTuple>() {
            let items = self.items(t.as_slice())?;
            // SAFETY: a new tuple filled with stolen references.
            let tuple = unsafe { build_tuple(self.vm, items) }?;
            if let Some(tracker) = self.tracking() {
                tracker.remember_value(obj, tuple);
            }
            return Ok(tuple);
        }
        if let Some(l) = obj.downcast_ref::<PyList>() {
            let snapshot = l.borrow_vec().to_vec();
            // SAFETY: a new list of the right length; SetItem steals.
            let list = check(self.vm, unsafe { (api.PyList_New)(snapshot.len() as isize) })?;
            self.memo.insert(addr, list.0);
            let start = self.reserve(snapshot.len());
            for (i, item) in snapshot.iter().enumerate() {
                let c = self.convert(item)?;
                self.put(start + i, c);
                // SAFETY: index in range; steals `c`.
                unsafe { (api.PyList_SetItem)(list.0, i as isize, c) };
            }
            let n = snapshot.len();
            self.record(obj, list.0, start, n, || Given::List(snapshot));
            return Ok(list.into_raw());
        }
        if let Some(d) = obj.downcast_ref::<PyDict>() {
            // SAFETY: a new dict.
            let dict = check(self.vm, unsafe { (api.PyDict_New)() })?;
            self.memo.insert(addr, dict.0);
            let items = d.items_vec();
            // Changes are told by the version tag where it can be read: then
            // only what keeps its identity is held (`kept`, held once the
            // items are converted: nested copies are recorded meanwhile).
            let versioned = self.tracking().is_some_and(|t| t.versioned());
            let mut start = if versioned { 0 } else { self.reserve(2 * items.len()) };
            let (mut kept, mut kept_rp) = (Vec::new(), Vec::new());
            for (i, (rk, rv)) in items.iter().enumerate() {
                let (k, v) = (Owned(self.convert(rk)?), Owned(self.convert(rv)?));
                if let (true, Some(t)) = (versioned, &self.tracker) {
                    for (c, r) in [(k.0, rk), (v.0, rv)] {
                        if !t.by_value(c) {
                            kept.push(c);
                            kept_rp.push(r.clone());
                        }
                    }
                } else {
                    self.put(start + 2 * i, k.0);
                    self.put(start + 2 * i + 1, v.0);
                }
                // SAFETY: SetItem borrows both.
                if unsafe { (api.PyDict_SetItem)(dict.0, k.0, v.0) } != 0 {
                    return Err(fetched(self.vm));
                }
            }
            if let (true, Some(t)) = (versioned, &mut self.tracker) {
                start = t.hold_kept(&kept);
                // SAFETY: a dict just made, layout checked (`versioned`).
                let version = unsafe { ffi::Layout::dict_version(dict.0) };
                self.record(obj, dict.0, start, kept.len(), || Given::VersionedDict(version, kept_rp));
            } else {
                let n = 2 * items.len();
                self.record(obj, dict.0, start, n, || Given::Dict(items));
            }
            return Ok(dict.into_raw());
        }
        let elements = if let Some(s) = obj.downcast_ref::<PySet>() { s.elements() } else {
            obj.downcast_ref::<PyFrozenSet>().map(|s| s.elements()).unwrap_or_default()
        };
        let frozen = obj.class().is(self.vm.ctx.types.frozenset_type);
        let start = if frozen { 0 } else { self.reserve(elements.len()) };
        let items = self.items(&elements)?;
        if !frozen {
            items.iter().enumerate().for_each(|(i, c)| self.put(start + i, c.0));
        }
        // SAFETY: building a set from a new tuple of stolen references.
        let set = unsafe { build_set(self.vm, items, frozen) }?;
        if !frozen {
            // A set holds no set: inserted once its items are converted.
            self.memo.insert(addr, set);
            let n = elements.len();
            self.record(obj, set, start, n, || Given::Set(elements));
        } else if let Some(tracker) = self.tracking() {
            tracker.remember_value(obj, set);
        }
        Ok(set)
    }

    /// A RustPython memoryview as a CPython memoryview of the same memory
    /// (over its proxy, which lends the buffer: see [`crate::buffer`]);
    /// None for one C cannot share (not C-contiguous, released), which is
    /// copied.
    fn shared_view(&mut self, obj: &PyObject) -> PyResult<Option<Obj>> {
        let api = &rt().api;
        let proxy = Owned(rpside::robject_for(self.vm, obj)?);
        // SAFETY: GIL held; `proxy` is live.
        match Owned::new(unsafe { (api.PyMemoryView_FromObject)(proxy.0) }) {
            Some(view) => Ok(Some(view.into_raw())),
            None => {
                // SAFETY: GIL held.
                unsafe { (api.PyErr_Clear)() };
                Ok(None)
            }
        }
    }

    /// `bytearray`, and the types `values.py` describes, copied.
    fn copied_value(&mut self, obj: &PyObject) -> PyResult<Option<Obj>> {
        let vm = self.vm;
        let api = &rt().api;
        if let Some(b) = obj.downcast_ref_if_exact::<PyByteArray>(vm) {
            let addr = obj as *const PyObject as usize;
            if let Some(&done) = self.memo.get(&addr) {
                // SAFETY: the copy is held by what it was put into (or the
                // call's arguments) for the conversion's length.
                unsafe { (api.Py_IncRef)(done) };
                return Ok(Some(done));
            }
            let data = b.borrow_buf();
            // SAFETY: `data` is borrowed for the copy.
            let o = check(vm, unsafe { (api.PyByteArray_FromStringAndSize)(data.as_ptr().cast(), data.len() as isize) })?;
            self.memo.insert(addr, o.0);
            self.record(obj, o.0, 0, 0, || Given::Bytes(data.to_vec()));
            return Ok(Some(o.into_raw()));
        }
        if !RP_VALUE_TYPES.contains(&&*obj.class().name()) {
            return Ok(None);
        }
        if obj.class().is(vm.ctx.types.memoryview_type) {
            if let Some(view) = self.shared_view(obj)? {
                return Ok(Some(view));
            }
        }
        let helper = crate::module::rp_helper(vm)?;
        let desc = match vm.call_method(&helper, "describe", (obj.to_owned(),)) {
            Ok(d) if !vm.is_none(&d) => d,
            _ => return Ok(None),
        };
        let desc = Owned(self.convert(&desc)?);
        // SAFETY: GIL held; `build` called with one argument.
        let built = unsafe { (api.PyObject_Vectorcall)(cside::helper(c"build"), &desc.0, 1, std::ptr::null_mut()) };
        check(vm, built).map(|o| Some(o.into_raw()))
    }

    fn items(&mut self, objs: &[PyObjectRef]) -> PyResult<Vec<Owned>> {
        objs.iter().map(|o| self.convert(o).map(Owned)).collect()
    }
}

/// A new tuple of `items`.
///
/// # Safety
/// GIL held.
pub unsafe fn build_tuple(vm: &VirtualMachine, items: Vec<Owned>) -> PyResult<Obj> {
    let api = &rt().api;
    // SAFETY: a new tuple of the right length; SetItem steals each item.
    unsafe {
        let t = check(vm, (api.PyTuple_New)(items.len() as isize))?;
        for (i, item) in items.into_iter().enumerate() {
            (api.PyTuple_SetItem)(t.0, i as isize, item.into_raw());
        }
        Ok(t.into_raw())
    }
}

/// A new set or frozenset of `items`.
///
/// # Safety
/// GIL held.
unsafe fn build_set(vm: &VirtualMachine, items: Vec<Owned>, frozen: bool) -> PyResult<Obj> {
    let api = &rt().api;
    // SAFETY: a tuple of the items, consumed by the set constructors.
    unsafe {
        let tuple = Owned(build_tuple(vm, items)?);
        let set = if frozen { (api.PyFrozenSet_New)(tuple.0) } else { (api.PySet_New)(tuple.0) };
        check(vm, set).map(Owned::into_raw)
    }
}

/// A new CPython str with `s`'s code points (lone surrogates included).
fn str_to_c(s: &PyStr) -> Obj {
    let api = &rt().api;
    match s.to_str() {
        // SAFETY: valid UTF-8 of the given length.
        Some(utf8) => unsafe { (api.PyUnicode_FromStringAndSize)(utf8.as_ptr().cast(), utf8.len() as isize) },
        None => {
            // WTF-8 encodes lone surrogates as CPython's "surrogatepass" does.
            let bytes = s.as_wtf8().as_bytes();
            // SAFETY: bytes of the given length, a static error handler name.
            unsafe { (api.PyUnicode_DecodeUTF8)(bytes.as_ptr().cast(), bytes.len() as isize, c"surrogatepass".as_ptr()) }
        }
    }
}

/// A new CPython int equal to `i`.
fn int_to_c(i: &BigInt) -> Obj {
    let api = &rt().api;
    if let Some(small) = i.to_i64() {
        // SAFETY: plain constructor.
        return unsafe { (api.PyLong_FromLongLong)(small) };
    }
    let bytes = i.to_signed_bytes_le();
    // SAFETY: little-endian two's complement bytes of the given length.
    unsafe { (api._PyLong_FromByteArray)(bytes.as_ptr(), bytes.len(), 1, 1) }
}

pub struct ToRp<'a> {
    vm: &'a VirtualMachine,
    /// CPython objects that convert to given RustPython objects (the
    /// originals of a call's copies, for the write-back): None otherwise.
    originals: Option<Memo<PyObjectRef>>,
    memo: Memo<PyObjectRef>,
    /// The RustPython str made for each dict key's text (see [`ToRp::key`]).
    keys: FxHashMap<Box<str>, PyRef<PyStr>>,
    depth: usize,
    /// The runtime, read once per conversion rather than per use; its
    /// `layout` says whether [`ffi::Layout`]'s readers may be used.
    rt: &'static Runtime,
    /// Whether a `list`, `dict` or `set` that CPython references from
    /// elsewhere crosses as a proxy (see [`to_rp_result`]).
    shared_as_proxies: bool,
    /// Whether the items being converted are those of a tuple or frozenset
    /// that CPython references from elsewhere: reachable from there, so
    /// shared whatever their own count.
    in_shared: bool,
    /// The items of the dicts being converted, new references: one stack
    /// for the nested dicts of a conversion (each takes its items from
    /// its start and cuts it back), instead of a vector per dict.
    pending: Vec<(Obj, Obj)>,
}

/// A converted dict key.
enum Key {
    Str(PyRef<PyStr>),
    Other(PyObjectRef),
}

impl ToRp<'_> {
    fn new(vm: &VirtualMachine) -> ToRp<'_> {
        ToRp {
            vm,
            originals: None,
            memo: Memo::default(),
            keys: FxHashMap::default(),
            depth: 0,
            rt: rt(),
            shared_as_proxies: false,
            in_shared: false,
            pending: Vec::new(),
        }
    }

    /// A call's result: its copies of the call's arguments give their
    /// originals (`identity(lst) is lst`), and shared mutable containers
    /// cross as proxies (see [`to_rp_result`]).
    pub fn for_result(vm: &VirtualMachine, originals: Option<Memo<PyObjectRef>>) -> ToRp<'_> {
        ToRp { originals, shared_as_proxies: true, ..ToRp::new(vm) }
    }

    /// A conversion that gives `originals[o]` for each CPython object `o`
    /// it holds.
    pub fn with_originals(vm: &VirtualMachine, originals: Memo<PyObjectRef>) -> ToRp<'_> {
        ToRp { originals: Some(originals), ..ToRp::new(vm) }
    }

    pub fn vm(&self) -> &VirtualMachine {
        self.vm
    }

    fn incref(&self, o: Obj) {
        // SAFETY: `o` is live and the GIL held (the converter's rule).
        unsafe { self.rt.incref(o) }
    }

    fn decref(&self, o: Obj) {
        // SAFETY: we own a reference to `o`, GIL held.
        unsafe { self.rt.decref(o) }
    }

    pub fn convert(&mut self, o: Obj) -> PyResult {
        self.convert_item(o, false)
    }

    /// [`ToRp::convert`], with RustPython's collections paused while a
    /// container is copied (see [`GcPause`]).
    pub fn convert_paused(&mut self, o: Obj) -> PyResult {
        let st = &self.rt.st;
        // SAFETY: `o` is live, GIL held.
        let tp = unsafe { ffi::type_of(o) };
        if [st.tuple_type, st.list_type, st.dict_type, st.set_type, st.frozenset_type].contains(&tp) {
            let _pause = GcPause::new();
            return self.convert(o);
        }
        self.convert(o)
    }

    /// Converts `o`; `held`: the conversion holds a reference of its own
    /// to `o` (a dict's item), besides those of its containers.
    fn convert_item(&mut self, o: Obj, held: bool) -> PyResult {
        let (vm, rt) = (self.vm, self.rt);
        let st = &rt.st;
        if let Some(orig) = self.originals.as_ref().and_then(|m| m.get(&(o as usize))) {
            return Ok(orig.clone());
        }
        // SAFETY: `o` is a live object (`to_rp` converts a borrowed object,
        // and recursion only reaches items its containers hold); GIL held
        // (the module's rule): reading its type is sound.
        let tp = unsafe { ffi::type_of(o) };
        if self.rt.layout {
            // The exact types of a parsed document, read in place.
            if tp == st.str_type {
                return self.str_exact(o).map(Into::into);
            } else if tp == st.int_type {
                // SAFETY: an exact int, layout checked.
                if let Some(v) = unsafe { ffi::Layout::small_int(o) } {
                    return Ok(vm.ctx.new_int(v).into());
                }
            } else if tp == st.float_type {
                // SAFETY: an exact float, layout checked.
                return Ok(vm.ctx.new_float(unsafe { ffi::Layout::float(o) }).into());
            } else if tp == st.dict_type || tp == st.list_type {
                return self.container(o, tp, held).map(|v| v.expect("a container"));
            }
        }
        if o == st.none {
            return Ok(vm.ctx.none());
        } else if o == st.true_ {
            return Ok(vm.ctx.new_bool(true).into());
        } else if o == st.false_ {
            return Ok(vm.ctx.new_bool(false).into());
        } else if o == st.not_implemented {
            return Ok(vm.ctx.not_implemented());
        } else if o == st.ellipsis {
            return Ok(vm.ctx.ellipsis.clone().into());
        }
        // SAFETY: `tp` is the type of the live `o`, hence a live type; GIL
        // held.
        let flags = unsafe { (rt.api.PyType_GetFlags)(tp) };
        if let Some(v) = self.scalar(o, tp, flags)? {
            return Ok(v);
        }
        if let Some(v) = self.container(o, tp, held)? {
            return Ok(v);
        }
        // SAFETY: `o` is live and the GIL held (see above), what
        // `is_robject` requires.
        if unsafe { cside::is_robject(o) } {
            // SAFETY: checked to be an RObject.
            return Ok(unsafe { cside::target(o) });
        }
        if flags & ffi::PY_TPFLAGS_BASE_EXC_SUBCLASS != 0 {
            return errors::to_rp_exception(vm, o, std::ptr::null_mut()).map(Into::into);
        }
        if flags & ffi::PY_TPFLAGS_TYPE_SUBCLASS != 0 {
            // SAFETY: `o` is a type when the flag says so.
            if unsafe { (rt.api.PyType_GetFlags)(o) } & ffi::PY_TPFLAGS_BASE_EXC_SUBCLASS != 0 {
                return errors::rp_exception_class(vm, o).map(Into::into);
            }
            return rpside::type_to_rp(vm, o);
        }
        if let Some(v) = self.copied_value(o, tp)? {
            return Ok(v);
        }
        if flags & ffi::PY_TPFLAGS_TUPLE_SUBCLASS != 0 {
            if let Some(origin) = tuple_like_origin(o, tp) {
                return Ok(origin);
            }
        }
        rpside::cobject_for(vm, o)
    }

    /// The UTF-8 of an exact str, borrowed from it: read in place when
    /// CPython has it (a compact ASCII str, a cached UTF-8), else asked
    /// for; None for lone surrogates.
    fn utf8<'s>(&self, o: Obj) -> Option<&'s str> {
        if self.rt.layout {
            // SAFETY: a live str, layout checked; ASCII is UTF-8.
            if let Some(b) = unsafe { ffi::Layout::ascii(o) } {
                return Some(unsafe { std::str::from_utf8_unchecked(b) });
            }
            // SAFETY: a live str, layout checked; CPython's cached UTF-8
            // is valid UTF-8, owned by `o`.
            if let Some(b) = unsafe { ffi::Layout::cached_utf8(o) } {
                return Some(unsafe { std::str::from_utf8_unchecked(b) });
            }
        }
        let mut n = 0isize;
        // SAFETY: a str; its UTF-8 buffer is cached in `o` and borrowed.
        let p = unsafe { (self.rt.api.PyUnicode_AsUTF8AndSize)(o, &mut n) };
        if p.is_null() {
            // Lone surrogates: the caller takes the slow path.
            // SAFETY: clearing the UnicodeEncodeError just raised; GIL held.
            unsafe { (self.rt.api.PyErr_Clear)() };
            return None;
        }
        // SAFETY: `n` bytes of valid UTF-8 owned by `o`, which outlives the
        // conversion's use of it.
        Some(unsafe { std::str::from_utf8_unchecked(std::slice::from_raw_parts(p.cast::<u8>(), n as usize)) })
    }

    /// An exact str (the fast path).
    fn str_exact(&self, o: Obj) -> PyResult<PyRef<PyStr>> {
        let vm = self.vm;
        // SAFETY: a live str, layout checked (`str_exact` is only called
        // when `layout` is).
        if let Some(b) = unsafe { ffi::Layout::ascii(o) } {
            // SAFETY: the characters of a compact ASCII str are ASCII: no
            // scan for the kind.
            let a = unsafe { rustpython_vm::common::str::ascii::AsciiStr::from_ascii_unchecked(b) };
            return Ok(vm.ctx.new_str(a));
        }
        match self.utf8(o) {
            Some(s) => Ok(vm.ctx.new_str(s)),
            None => str_to_rp(vm, o)?.downcast::<PyStr>().map_err(|_| vm.new_system_error("str conversion")),
        }
    }

    /// A dict key: an exact `str` of valid UTF-8 (and at most
    /// `KEY_MEMO_MAX` bytes) gives the one RustPython str made for that text
    /// in this conversion, as CPython's json does with its keys: a document
    /// of many records repeats a few keys, and one shared str is made once
    /// and hashed once (RustPython caches a str's hash). Anything else is
    /// converted as usual. The key is held by the conversion (`held`).
    fn key(&mut self, o: Obj) -> PyResult<Key> {
        let (vm, rt) = (self.vm, self.rt);
        // SAFETY: `o` is a live object; GIL held.
        if unsafe { ffi::type_of(o) } != rt.st.str_type {
            return self.convert_item(o, true).map(Key::Other);
        }
        let Some(text) = self.utf8(o) else {
            return self.convert_item(o, true).map(Key::Other);
        };
        if text.len() > KEY_MEMO_MAX {
            return Ok(Key::Str(vm.ctx.new_str(text)));
        }
        if let Some(k) = self.keys.get(text) {
            return Ok(Key::Str(k.clone()));
        }
        let k = vm.ctx.new_str(text);
        self.keys.insert(text.into(), k.clone());
        Ok(Key::Str(k))
    }

    /// A CPython memoryview as a RustPython memoryview of the same memory
    /// (over its proxy's buffer, see [`crate::buffer`]), so that it holds
    /// its object's export as it does on CPython; None for one RustPython
    /// cannot share (not C-contiguous, released), which is copied.
    fn shared_view(&mut self, o: Obj) -> Option<PyObjectRef> {
        let vm = self.vm;
        let proxy = rpside::cobject_for(vm, o).ok()?;
        crate::buffer::standing_for(|| vm.ctx.types.memoryview_type.as_object().call((proxy,), vm)).ok()
    }

    /// `bytearray`, and the types `values.py` describes, copied.
    fn copied_value(&mut self, o: Obj, tp: Obj) -> PyResult<Option<PyObjectRef>> {
        let (vm, rt) = (self.vm, self.rt);
        let api = &rt.api;
        if tp == rt.st.bytearray_type {
            // SAFETY: a bytearray; its buffer is borrowed for the copy.
            let data = unsafe { std::slice::from_raw_parts((api.PyByteArray_AsString)(o).cast::<u8>(), (api.PyByteArray_Size)(o) as usize) };
            return Ok(Some(vm.ctx.new_bytearray(data.to_vec()).into()));
        }
        // SAFETY: `tp` is a live type.
        let name = unsafe { ffi::type_name(tp) };
        if !name.to_str().is_ok_and(|n| C_VALUE_TYPES.contains(&n)) {
            return Ok(None);
        }
        if name.to_bytes() == b"memoryview" {
            if let Some(view) = self.shared_view(o) {
                return Ok(Some(view));
            }
        }
        // SAFETY: GIL held; `describe` called with one argument.
        let desc = unsafe { (api.PyObject_Vectorcall)(cside::helper(c"describe"), &o, 1, std::ptr::null_mut()) };
        let Some(desc) = Owned::new(desc) else {
            // SAFETY: GIL held: a value it cannot describe stays a proxy.
            unsafe { (api.PyErr_Clear)() };
            return Ok(None);
        };
        if desc.0 == rt.st.none {
            return Ok(None);
        }
        let desc = self.convert(desc.0)?;
        let helper = crate::module::rp_helper(vm)?;
        vm.call_method(&helper, "build", (desc,)).map(Some)
    }

    fn scalar(&self, o: Obj, tp: Obj, flags: std::ffi::c_ulong) -> PyResult<Option<PyObjectRef>> {
        let (vm, rt) = (self.vm, self.rt);
        let api = &rt.api;
        if flags & ffi::PY_TPFLAGS_UNICODE_SUBCLASS != 0 {
            return str_to_rp(vm, o).map(Some);
        }
        if flags & ffi::PY_TPFLAGS_LONG_SUBCLASS != 0 {
            return int_to_rp(vm, o).map(Some);
        }
        // SAFETY: both are types.
        if tp == rt.st.float_type || unsafe { (api.PyType_IsSubtype)(tp, rt.st.float_type) } != 0 {
            // SAFETY: a float.
            let v = unsafe { (api.PyFloat_AsDouble)(o) };
            return Ok(Some(vm.ctx.new_float(v).into()));
        }
        if flags & ffi::PY_TPFLAGS_BYTES_SUBCLASS != 0 {
            let (mut p, mut n) = (std::ptr::null_mut::<c_char>(), 0isize);
            // SAFETY: a bytes object; the buffer is borrowed while we copy it.
            if unsafe { (api.PyBytes_AsStringAndSize)(o, &mut p, &mut n) } != 0 {
                return Err(fetched(vm));
            }
            // SAFETY: `n` bytes at `p`, owned by `o`.
            let data = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), n as usize) };
            return Ok(Some(vm.ctx.new_bytes(data.to_vec()).into()));
        }
        Ok(None)
    }

    /// Whether `o` may be met again in this conversion: more references
    /// to it than the one its container holds (and the conversion's own,
    /// `held`). A container referenced once is reached once (its one
    /// referrer is converted once, by induction from the object converted,
    /// which its caller holds), so it needs no memo entry: no hashing for
    /// most containers of a parsed document.
    fn shared(o: Obj, held: bool) -> bool {
        // SAFETY: `o` is live, GIL held: its count is stable.
        unsafe { (*o).ob_refcnt > 1 + held as isize }
    }

    fn container(&mut self, o: Obj, tp: Obj, held: bool) -> PyResult<Option<PyObjectRef>> {
        let st = &self.rt.st;
        if ![st.tuple_type, st.list_type, st.dict_type, st.set_type, st.frozenset_type].contains(&tp) {
            return Ok(None);
        }
        let shared = Self::shared(o, held);
        if shared {
            if let Some(done) = self.memo.get(&(o as usize)) {
                return Ok(Some(done.clone()));
            }
        }
        let mutable = [st.list_type, st.dict_type, st.set_type].contains(&tp);
        if self.shared_as_proxies && mutable && (shared || self.in_shared) {
            return rpside::cobject_for(self.vm, o).map(Some);
        }
        if self.depth >= MAX_DEPTH {
            return Err(self.vm.new_recursion_error("maximum recursion depth exceeded while passing a container from CPython"));
        }
        self.depth += 1;
        let in_shared = self.in_shared;
        self.in_shared |= shared && self.shared_as_proxies;
        let r = self.container_items(o, tp, shared);
        self.in_shared = in_shared;
        self.depth -= 1;
        r.map(Some)
    }

    fn container_items(&mut self, o: Obj, tp: Obj, shared: bool) -> PyResult {
        let (vm, rt) = (self.vm, self.rt);
        let (api, st) = (&rt.api, &rt.st);
        if tp == st.tuple_type {
            // SAFETY: a tuple; items borrowed within range (a tuple's
            // items never change).
            let n = if self.rt.layout { unsafe { ffi::Layout::seq_len(o) as isize } } else { unsafe { (api.PyTuple_Size)(o) } };
            let mut items = Vec::with_capacity(n as usize);
            for i in 0..n {
                // SAFETY: `i` below the tuple's length; the item is borrowed
                // from the tuple, which the conversion's caller keeps alive.
                let item = if self.rt.layout { unsafe { ffi::Layout::tuple_item(o, i as usize) } } else { unsafe { (api.PyTuple_GetItem)(o, i) } };
                items.push(self.convert(item)?);
            }
            return Ok(vm.ctx.new_tuple(items).into());
        }
        if tp == st.list_type {
            let list = vm.ctx.new_list(Vec::new());
            if shared {
                self.memo.insert(o as usize, list.clone().into());
            }
            // SAFETY: a list.
            let len = |fast: bool| if fast { unsafe { ffi::Layout::seq_len(o) as isize } } else { unsafe { (api.PyList_Size)(o) } };
            let mut items = Vec::with_capacity(len(self.rt.layout) as usize);
            let mut i = 0;
            // Re-reading the size each time: a conversion may run code
            // that changes the list.
            while i < len(self.rt.layout) {
                // SAFETY: `i` below the list's current size.
                let item = if self.rt.layout { unsafe { ffi::Layout::list_item(o, i as usize) } } else { unsafe { (api.PyList_GetItem)(o, i) } };
                items.push(self.convert(item)?);
                i += 1;
            }
            // Filled at the end, under one lock (a cyclic list has seen
            // itself empty, and holds itself now).
            let mut vec = list.borrow_vec_mut();
            if vec.is_empty() {
                *vec = items;
            } else {
                vec.extend(items);
            }
            drop(vec);
            return Ok(list.into());
        }
        if tp == st.dict_type {
            let dict = vm.ctx.new_dict();
            if shared {
                self.memo.insert(o as usize, dict.clone().into());
            }
            // The items, new references, taken before converting any
            // (a conversion may run code).
            let base = self.pending.len();
            let (mut pos, mut k, mut v) = (0isize, std::ptr::null_mut(), std::ptr::null_mut());
            // SAFETY: PyDict_Next on a dict, borrowed refs increfed before use.
            while unsafe { (api.PyDict_Next)(o, &mut pos, &mut k, &mut v) } != 0 {
                self.incref(k);
                self.incref(v);
                self.pending.push((k, v));
            }
            let end = self.pending.len();
            let mut r = Ok(());
            for i in base..end {
                let (k, v) = self.pending[i];
                r = self.dict_entry(&dict, k, v);
                if r.is_err() {
                    break;
                }
            }
            for i in base..end {
                let (k, v) = self.pending[i];
                self.decref(k);
                self.decref(v);
            }
            self.pending.truncate(base);
            return r.map(|()| dict.into());
        }
        let items = set_items(vm, o)?.iter().map(|i| self.convert_item(i.0, true)).collect::<PyResult<Vec<_>>>()?;
        if tp == st.frozenset_type {
            return Ok(rustpython_vm::builtins::PyFrozenSet::from_iter(vm, items)?.into_ref(&vm.ctx).into());
        }
        let set = vm.ctx.types.set_type.as_object().call((), vm)?;
        for item in items {
            vm.call_method(&set, "add", (item,))?;
        }
        Ok(set)
    }

    /// Converts one of a dict's items (both held) into `dict`.
    fn dict_entry(&mut self, dict: &Py<PyDict>, k: Obj, v: Obj) -> PyResult<()> {
        let vm = self.vm;
        let key = self.key(k)?;
        let value = self.convert_item(v, true)?;
        match key {
            Key::Str(k) => dict.set_item(&*k, value, vm),
            Key::Other(k) => dict.set_item(&*k, value, vm),
        }
    }
}

/// RustPython's automatic collections paused while the copy of a container
/// from CPython is built. Every object the copy makes is reachable (from
/// the copy, held by the conversion) until it ends, so a collection
/// started by one of its allocations (every 2,000 tracked objects) would
/// walk them all to find nothing: on a 100 KB document, a fifth of the
/// conversion. Collections triggered by allocations meanwhile, in any
/// thread, wait for the next allocation after the conversion (the
/// generation counts still grow), so the copy is collected as usual if it
/// stays alive. The pause is RustPython's `gc.isenabled()` flag turned off
/// and back on by the last of the nested or concurrent conversions that
/// paused (a count under a lock); were it off before, it stays off. Seen
/// from other threads: `gc.isenabled()` reads False during a conversion,
/// and a `gc.disable()` made by another thread during one is undone when
/// it ends (`gc.enable()` is not).
struct GcPause;

/// The number of conversions pausing, and whether collections were
/// enabled when the first began.
static GC_PAUSE: std::sync::Mutex<(usize, bool)> = std::sync::Mutex::new((0, false));

impl GcPause {
    fn new() -> GcPause {
        let mut p = GC_PAUSE.lock().unwrap_or_else(|e| e.into_inner());
        if p.0 == 0 {
            p.1 = rustpython_vm::gc_state::gc_state().enabled.swap(false, std::sync::atomic::Ordering::SeqCst);
        }
        p.0 += 1;
        GcPause
    }
}

impl Drop for GcPause {
    fn drop(&mut self) {
        let mut p = GC_PAUSE.lock().unwrap_or_else(|e| e.into_inner());
        p.0 -= 1;
        if p.0 == 0 && p.1 {
            rustpython_vm::gc_state::gc_state().enabled.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }
}

/// The RustPython original of a tuple of a class standing for a RustPython
/// subclass of tuple (see [`ToC::tuple_like`]); None for other tuples.
/// GIL held.
fn tuple_like_origin(o: Obj, tp: Obj) -> Option<PyObjectRef> {
    crate::identity::C_PROXY_CLASSES.rp_of(tp as usize)?;
    let api = &rt().api;
    // SAFETY: GIL held; `o` is live; a failed lookup is cleared.
    let origin = Owned::new(unsafe { (api.PyObject_GetAttrString)(o, c"__lichen_origin__".as_ptr()) });
    let Some(origin) = origin else {
        // SAFETY: GIL held.
        unsafe { (api.PyErr_Clear)() };
        return None;
    };
    // SAFETY: live; an RObject's target is a new reference.
    unsafe { cside::is_robject(origin.0).then(|| cside::target(origin.0)) }
}

/// A set's items (new references).
pub(crate) fn set_items(vm: &VirtualMachine, o: Obj) -> PyResult<Vec<Owned>> {
    let api = &rt().api;
    // SAFETY: iterating a set with the GIL held.
    let it = check(vm, unsafe { (api.PyObject_GetIter)(o) })?;
    let mut out = Vec::new();
    // SAFETY: `it` is the live iterator made above (owned by `it`), GIL
    // held; each item returned is a new reference `Owned` takes.
    while let Some(item) = Owned::new(unsafe { (api.PyIter_Next)(it.0) }) {
        out.push(item);
    }
    // SAFETY: GIL held: reading the thread's error indicator needs nothing
    // else.
    if !unsafe { (api.PyErr_Occurred)() }.is_null() {
        return Err(fetched(vm));
    }
    Ok(out)
}

/// A CPython str (or subclass instance) as a RustPython str.
fn str_to_rp(vm: &VirtualMachine, o: Obj) -> PyResult {
    let api = &rt().api;
    let mut n = 0isize;
    // SAFETY: a str; the UTF-8 buffer is cached in `o` and borrowed.
    let p = unsafe { (api.PyUnicode_AsUTF8AndSize)(o, &mut n) };
    if !p.is_null() {
        // SAFETY: `n` bytes of valid UTF-8.
        let s = unsafe { std::str::from_utf8_unchecked(std::slice::from_raw_parts(p.cast::<u8>(), n as usize)) };
        return Ok(vm.ctx.new_str(s).into());
    }
    // Lone surrogates: through "surrogatepass", one code point at a time.
    // SAFETY: clearing the UnicodeEncodeError just raised.
    unsafe { (api.PyErr_Clear)() };
    // SAFETY: a str and static names.
    let b = check(vm, unsafe { (api.PyUnicode_AsEncodedString)(o, c"utf-8".as_ptr(), c"surrogatepass".as_ptr()) })?;
    let (mut p, mut n) = (std::ptr::null_mut::<c_char>(), 0isize);
    // SAFETY: a bytes object.
    unsafe { (api.PyBytes_AsStringAndSize)(b.0, &mut p, &mut n) };
    // SAFETY: `n` bytes owned by `b`.
    let bytes = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), n as usize) };
    Ok(vm.ctx.new_str(generalized_utf8(bytes)).into())
}

/// Decodes UTF-8 that may encode surrogates (as "surrogatepass" writes).
fn generalized_utf8(bytes: &[u8]) -> rustpython_wtf8::Wtf8Buf {
    let mut out = rustpython_wtf8::Wtf8Buf::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i] as u32;
        let (len, init) = match b {
            0..=0x7f => (1, b),
            0xc0..=0xdf => (2, b & 0x1f),
            0xe0..=0xef => (3, b & 0x0f),
            _ => (4, b & 0x07),
        };
        let cp = bytes[i + 1..(i + len).min(bytes.len())].iter().fold(init, |acc, &c| (acc << 6) | (c as u32 & 0x3f));
        if let Some(cp) = rustpython_wtf8::CodePoint::from_u32(cp) {
            out.push(cp);
        }
        i += len;
    }
    out
}

/// A CPython int (or subclass instance) as a RustPython int.
fn int_to_rp(vm: &VirtualMachine, o: Obj) -> PyResult {
    let api = &rt().api;
    let mut overflow: c_int = 0;
    // SAFETY: an int.
    let small = unsafe { (api.PyLong_AsLongLongAndOverflow)(o, &mut overflow) };
    if overflow == 0 {
        return Ok(vm.ctx.new_int(small).into());
    }
    // SAFETY: an int; the buffer is large enough for its bits and a sign bit.
    let bytes = unsafe {
        let n = (api._PyLong_NumBits)(o) / 8 + 1;
        let mut buf = vec![0u8; n];
        if (api._PyLong_AsByteArray)(o, buf.as_mut_ptr(), n, 1, 1) != 0 {
            return Err(fetched(vm));
        }
        buf
    };
    Ok(vm.ctx.new_int(BigInt::from_signed_bytes_le(&bytes)).into())
}
