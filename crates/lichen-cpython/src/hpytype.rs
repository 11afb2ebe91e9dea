//! Recognising the types Lichen built, and what it keeps about them, from
//! the type object alone: no registry, no lock, no `tp_flags` bit.
//!
//! Every type made by `typeobj::type_from_spec` gets [`call_type`] as its
//! `tp_vectorcall`. CPython never inherits `tp_vectorcall` (subclasses,
//! Python or C, start with NULL) and never sets it on a heap type, so that
//! pointer says "Lichen built exactly this type". The type's [`TypeExtra`]
//! is reached through `tp_methods`, which is Lichen's own array: one hidden
//! entry before the methods CPython sees holds the extra's address.
//! Neither field can be changed from Python (`__name__` assignment changes
//! `tp_name`, which is why the name is not used for this).
//!
//! Pure HPy types (every builtin shape but `Legacy`) do not include the
//! CPython object header in the extension's struct: it starts after the
//! header of the builtin base, aligned like `max_align_t` ([`head_size`]).

use core::ffi::c_char;
use core::ptr::null_mut;
use lichen_abi::*;
use lichen_core::host::HPyFunc_traverseproc;
use lichen_core::type_spec::align_storage;
use pyo3::ffi;
use std::ffi::CString;
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};

pub type DestroyFn = lichen_abi::func_types::destroyfunc;

/// What the runtime keeps about a type it built. Leaked: types may be
/// reached from objects until the process ends.
pub struct TypeExtra {
    pub traverse: Option<HPyFunc_traverseproc>,
    pub destroy: Option<DestroyFn>,
    /// The default call implementation of instances (`HPy_tp_call`).
    pub vectorcall: Option<ffi::vectorcallfunc>,
    pub shape: HPyType_BuiltinShape,
    /// Where the extension's struct starts in an instance ([`head_size`]).
    pub head: isize,
    /// The spec's name: CPython before 3.11 keeps pointing at it.
    name: CString,
    /// The traverse and destroy implementations of every HPy type in this
    /// type's base chain, this one first ([`seal`]): what deallocation
    /// runs, without walking the chain (see [`chains_are_fixed`]).
    chain: Chain,
    /// No other type has this one in its MRO ([`seal`]): an object is an
    /// instance of it exactly when its type is this type.
    exact_only: bool,
}

/// The hooks of the HPy types of a base chain, most derived first.
#[derive(Default)]
pub struct Chain {
    pub traverses: Box<[HPyFunc_traverseproc]>,
    pub destroys: Box<[DestroyFn]>,
}

impl TypeExtra {
    /// A new, leaked extra block for a type named `name` of `shape`; the
    /// caller fills it and [`seal`]s it once the type exists.
    pub fn new(name: &core::ffi::CStr, shape: HPyType_BuiltinShape) -> *mut TypeExtra {
        Box::into_raw(Box::new(TypeExtra {
            traverse: None,
            destroy: None,
            vectorcall: None,
            shape,
            head: head_size(shape).max(0),
            name: name.to_owned(),
            chain: Chain::default(),
            exact_only: false,
        }))
    }

    pub fn name_ptr(&self) -> *const c_char {
        self.name.as_ptr()
    }

    /// The hooks of this type's HPy base chain, valid while
    /// [`chains_are_fixed`].
    #[inline(always)]
    pub fn chain(&self) -> &Chain {
        &self.chain
    }
}

/// Set once a type exists whose base could be replaced (`__bases__`
/// assignment) so as to add an HPy type with hooks to a chain, or take one
/// out of it: from then on deallocation walks the chain as it is at that
/// moment instead of trusting [`TypeExtra::chain`].
static CHAINS_MAY_CHANGE: AtomicBool = AtomicBool::new(false);

/// Whether every Lichen type's [`TypeExtra::chain`] is still its base
/// chain's hooks.
///
/// CPython lets `__bases__` be assigned only between layouts it deems
/// compatible: the types that leave or join a chain that way add no
/// storage of their own beyond a `__dict__` or `__weakref__` slot (CPython's
/// `compatible_for_assignment`: `equiv_structs`/`compatible_with_tp_base`
/// and `same_slots_added`). An HPy type with a payload can therefore never
/// join or leave a chain; only such "transparent" types can, and [`seal`]
/// notes when one with a traverse or destroy implementation is built.
#[inline(always)]
pub fn chains_are_fixed() -> bool {
    !CHAINS_MAY_CHANGE.load(Ordering::Acquire)
}

/// Whether `tp` adds no storage to its base that CPython would not treat as
/// a `__dict__` or `__weakref__` slot (an over-approximation: any type
/// CPython could swap in or out of a chain by `__bases__` assignment is
/// transparent by this test).
unsafe fn transparent(tp: *mut ffi::PyTypeObject) -> bool {
    // SAFETY: the caller passes a live type object; its base, read when not
    // NULL, is live too.
    unsafe {
        let base = (*tp).tp_base;
        if base.is_null() {
            return false;
        }
        let slots = ((*tp).tp_dictoffset != 0) as isize + ((*tp).tp_weaklistoffset != 0) as isize;
        (*tp).tp_basicsize - (*base).tp_basicsize <= slots * core::mem::size_of::<*mut ffi::PyObject>() as isize
    }
}

/// Completes `extra`, the extra block of `tp`, a type Lichen just built
/// and has not marked or handed out yet: the hooks of its base chain, and
/// whether only its own instances are instances of it.
///
/// # Safety
/// `extra` comes from [`TypeExtra::new`] and nothing reads it yet; `tp` is
/// live and not yet [`mark`]ed, with the GIL held.
pub unsafe fn seal(extra: *mut TypeExtra, tp: *mut ffi::PyTypeObject) {
    // SAFETY: the caller's contract: `extra` is exclusively ours until the
    // type is marked, `tp` and its base chain are live types.
    unsafe {
        let e = &mut *extra;
        let mut traverses: Vec<HPyFunc_traverseproc> = e.traverse.into_iter().collect();
        let mut destroys: Vec<DestroyFn> = e.destroy.into_iter().collect();
        let mut base = (*tp).tp_base;
        while !base.is_null() {
            if let Some(b) = extra_of(base) {
                traverses.extend(b.traverse);
                destroys.extend(b.destroy);
            }
            base = (*base).tp_base;
        }
        e.chain = Chain { traverses: traverses.into_boxed_slice(), destroys: destroys.into_boxed_slice() };
        let hooks = e.traverse.is_some() || e.destroy.is_some();
        let own_layout = !transparent(tp);
        if hooks && !own_layout {
            CHAINS_MAY_CHANGE.store(true, Ordering::Release);
        }
        // A type that is no acceptable base and has storage of its own is
        // its own "solid base": CPython refuses it as a base, and an MRO
        // that names it (a metaclass's `mro()`) fails CPython's layout
        // check unless the class's solid base derives from it, which only
        // it does.
        e.exact_only = own_layout && ffi::PyType_HasFeature(tp, ffi::Py_TPFLAGS_BASETYPE) == 0;
    }
}

/// Whether `obj`'s type is `tp` or a subtype of it (`PyObject_TypeCheck`),
/// answered without the MRO for a type Lichen built that only its own
/// instances are instances of.
#[inline(always)]
pub unsafe fn type_check(obj: *mut ffi::PyObject, tp: *mut ffi::PyTypeObject) -> bool {
    // SAFETY: the caller passes a live object and a live type object.
    unsafe {
        let own = ffi::Py_TYPE(obj);
        if own == tp {
            return true;
        }
        if extra_of(tp).is_some_and(|e| e.exact_only) {
            return false;
        }
        ffi::PyType_IsSubtype(own, tp) != 0
    }
}

/// `tp_methods` of a type Lichen builds from `methods` (without sentinel):
/// the methods and the sentinel, preceded by the hidden entry that leads to
/// `extra`. Leaked, as the type points at it for good.
pub fn methods_with_extra(extra: *const TypeExtra, methods: Vec<ffi::PyMethodDef>) -> *mut ffi::PyMethodDef {
    let mut all = Vec::with_capacity(methods.len() + 2);
    let mut hidden = ffi::PyMethodDef::zeroed();
    hidden.ml_doc = extra.cast();
    all.push(hidden);
    all.extend(methods);
    all.push(ffi::PyMethodDef::zeroed());
    let array = Box::leak(all.into_boxed_slice()).as_mut_ptr();
    // SAFETY: the array has at least two entries; CPython sees the second on.
    unsafe { array.add(1) }
}

/// Marks `tp` as built by Lichen; its `tp_methods` must come from
/// [`methods_with_extra`].
pub unsafe fn mark(tp: *mut ffi::PyTypeObject) {
    // SAFETY: the caller passes `tp`, a live type Lichen just built (not yet
    // handed out), whose `tp_methods` come from `methods_with_extra`, as
    // `extra_of` will rely on: writing its `tp_vectorcall` races with no
    // reader.
    unsafe {
        (*tp).tp_vectorcall = Some(call_type);
    }
}

lichen_core::guarded_entry! { crate::host::raise_system_error;
/// The `tp_vectorcall` of every type Lichen builds: calling the type object
/// does what `Py_TYPE(type)->tp_call` does, which is what CPython does for a
/// type without `tp_vectorcall` (`type_call`, or a metaclass's `tp_call`).
/// The arguments become a tuple and a dict, as CPython would make them.
unsafe extern "C" fn call_type(
    callable: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargsf: usize,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    let nargs = ffi::PyVectorcall_NARGS(nargsf);
    if nargs == 0 && kwnames.is_null() {
        let empty = empty_tuple();
        if empty.is_null() {
            return null_mut();
        }
        return call_with(callable, empty, null_mut());
    }
    call_type_with_args(callable, args, nargs, kwnames)
}
}

/// [`call_type`] with arguments: they are put in a new tuple and dict.
#[inline(never)]
unsafe fn call_type_with_args(
    callable: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: isize,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: `call_type`, the only caller, passes CPython's vectorcall
    // arguments with the GIL held: `args` holds `nargs` objects then one per
    // name of `kwnames` (NULL or a tuple), so `args.offset(nargs)` is in bounds
    // for `kwargs_dict`; each new reference made here is released here.
    unsafe {
        let tuple = args_tuple(args, nargs);
        if tuple.is_null() {
            return null_mut();
        }
        let mut kwargs = null_mut();
        if !kwnames.is_null() && ffi::PyTuple_GET_SIZE(kwnames) > 0 {
            kwargs = kwargs_dict(args.offset(nargs), kwnames);
            if kwargs.is_null() {
                ffi::Py_DECREF(tuple);
                return null_mut();
            }
        }
        let result = call_with(callable, tuple, kwargs);
        ffi::Py_DECREF(tuple);
        ffi::Py_XDECREF(kwargs);
        result
    }
}

/// `Py_TYPE(callable)->tp_call(callable, args, kwargs)`, with the recursion
/// check CPython makes around a `tp_call`.
#[inline(always)]
unsafe fn call_with(
    callable: *mut ffi::PyObject,
    args: *mut ffi::PyObject,
    kwargs: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: the caller holds the GIL and passes `callable`, a live type
    // object, `args` a live tuple and `kwargs` NULL or a live dict: CPython's
    // `tp_call` contract; the message is a NUL-terminated literal.
    unsafe {
        let Some(call) = (*ffi::Py_TYPE(callable)).tp_call else {
            ffi::PyErr_SetString(ffi::PyExc_TypeError, c"type object is not callable".as_ptr());
            return null_mut();
        };
        if ffi::Py_EnterRecursiveCall(c" while calling a Python object".as_ptr()) != 0 {
            return null_mut();
        }
        let result = call(callable, args, kwargs);
        ffi::Py_LeaveRecursiveCall();
        result
    }
}

/// An empty tuple, borrowed: one made on first use and kept for good, so
/// that calling a type without arguments allocates nothing (CPython's
/// empty tuple is a singleton anyway). NULL with an error set if it cannot
/// be made.
#[inline]
unsafe fn empty_tuple() -> *mut ffi::PyObject {
    // SAFETY: the caller holds the GIL, which `PyTuple_New` needs; the tuple
    // kept in `EMPTY` is never released, so the borrowed pointer handed out
    // stays valid.
    unsafe {
        static EMPTY: AtomicPtr<ffi::PyObject> = AtomicPtr::new(null_mut());
        let empty = EMPTY.load(Ordering::Relaxed);
        if !empty.is_null() {
            return empty;
        }
        // With the GIL held no other thread gets here at the same time; were
        // one to, the loser's reference is merely kept too.
        let made = ffi::PyTuple_New(0);
        if !made.is_null() {
            EMPTY.store(made, Ordering::Relaxed);
        }
        made
    }
}

/// A new tuple of the `n` objects at `args`.
unsafe fn args_tuple(args: *const *mut ffi::PyObject, n: isize) -> *mut ffi::PyObject {
    // SAFETY: the caller holds the GIL and passes `args` pointing to `n` live
    // objects: each is read in bounds and given a new reference that the new
    // tuple (of size `n`, its slots empty) takes over.
    unsafe {
        let tuple = ffi::PyTuple_New(n);
        if tuple.is_null() {
            return null_mut();
        }
        for i in 0..n {
            let item = *args.offset(i);
            ffi::Py_INCREF(item);
            ffi::PyTuple_SET_ITEM(tuple, i, item);
        }
        tuple
    }
}

/// A new dict of the keyword arguments, one value per name of `kwnames`.
unsafe fn kwargs_dict(values: *const *mut ffi::PyObject, kwnames: *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: the caller holds the GIL and passes `kwnames`, a live tuple of
    // names, and `values` pointing to one live object per name (the vectorcall
    // layout), read in bounds.
    unsafe {
        let dict = ffi::PyDict_New();
        if dict.is_null() {
            return null_mut();
        }
        for i in 0..ffi::PyTuple_GET_SIZE(kwnames) {
            if ffi::PyDict_SetItem(dict, ffi::PyTuple_GET_ITEM(kwnames, i), *values.offset(i)) < 0 {
                ffi::Py_DECREF(dict);
                return null_mut();
            }
        }
        dict
    }
}

/// The extra block of `tp` if Lichen built exactly this type.
///
/// # Safety
/// `tp` must be a live type object.
#[inline]
pub unsafe fn extra_of(tp: *mut ffi::PyTypeObject) -> Option<&'static TypeExtra> {
    // SAFETY: `extra_of`'s contract: `tp` is a live type object, so its
    // `tp_vectorcall` and `tp_methods` can be read.
    unsafe {
        if (*tp).tp_vectorcall.map(|f| f as usize) != Some(call_type as *const () as usize) {
            return None;
        }
        // SAFETY: only `mark` installs `call_type`, on types whose tp_methods
        // come from `methods_with_extra`: the entry before them holds the
        // address of a leaked TypeExtra.
        let hidden = (*tp).tp_methods.sub(1);
        Some(&*((*hidden).ml_doc as *const TypeExtra))
    }
}

/// The extra block of the nearest type in `tp`'s base chain that Lichen
/// built (`tp` itself, or the HPy base of a subclass); None if there is none.
#[inline]
pub unsafe fn nearest_extra(mut tp: *mut ffi::PyTypeObject) -> Option<&'static TypeExtra> {
    // SAFETY: the caller passes `tp` NULL or a live type object (the loop stops
    // at NULL); every `tp_base` of a live type is NULL or a live type, so
    // `extra_of`'s contract holds at each step.
    unsafe {
        while !tp.is_null() {
            if let Some(extra) = extra_of(tp) {
                return Some(extra);
            }
            tp = (*tp).tp_base;
        }
        None
    }
}

/// The builtin shape of a type: that of its nearest HPy base, since a Python
/// subclass of an HPy type keeps the base's layout; `Legacy` for a type with
/// no HPy base.
pub unsafe fn shape_of(tp: *mut ffi::PyTypeObject) -> HPyType_BuiltinShape {
    // SAFETY: the caller passes `tp` a live type object, which is
    // `nearest_extra`'s contract.
    unsafe {
        nearest_extra(tp).map_or(HPyType_BuiltinShape::Legacy, |e| e.shape)
    }
}

/// The extension's struct inside `obj`, by the nearest HPy type of its type.
#[inline]
pub unsafe fn payload(obj: *mut ffi::PyObject) -> *mut core::ffi::c_void {
    // SAFETY: the caller passes `obj`, a live object; its type is live, which
    // is `nearest_extra`'s contract, and the struct's `head` offset, taken from
    // the type Lichen built, lies within the object's allocation.
    unsafe {
        let head = nearest_extra(ffi::Py_TYPE(obj)).map_or(0, |e| e.head);
        (obj as *mut u8).offset(head).cast()
    }
}

unsafe fn struct_size(tp: *mut ffi::PyTypeObject, with_item: bool) -> isize {
    // SAFETY: the caller passes `tp` a live type object (here CPython's static
    // builtin types), whose size fields are read.
    unsafe {
        (*tp).tp_basicsize + if with_item { (*tp).tp_itemsize } else { 0 }
    }
}

/// Where the extension's struct starts in an object of a pure type of
/// `shape`: after the builtin base's C struct (which for int and tuple
/// includes its one-element array), aligned. -1 for an invalid shape.
#[inline]
pub fn head_size(shape: HPyType_BuiltinShape) -> isize {
    use HPyType_BuiltinShape as S;
    // SAFETY: the builtin type objects are static and initialised.
    let base = unsafe {
        match shape {
            S::Legacy => return 0,
            // `object`'s struct is the bare header, known at compile time.
            S::Object => core::mem::size_of::<ffi::PyObject>() as isize,
            S::Type => struct_size(&raw mut ffi::PyType_Type, false),
            S::Long => struct_size(&raw mut ffi::PyLong_Type, true),
            S::Float => struct_size(&raw mut ffi::PyFloat_Type, false),
            S::Unicode => struct_size(&raw mut ffi::PyUnicode_Type, false),
            S::Tuple => struct_size(&raw mut ffi::PyTuple_Type, true),
            S::List => struct_size(&raw mut ffi::PyList_Type, false),
            _ => return -1,
        }
    };
    align_storage(base)
}
