//! Write-back of the mutable containers given to a bridged call.
//!
//! A `list`, `dict`, `set` or `bytearray` crosses into CPython as a copy
//! (see [`crate::convert`]), so a C function that appends to a list it was
//! given, or fills a bytearray (`readinto`), would change only the copy.
//! The conversion of a call's arguments therefore records each such
//! container with what it put into the copy, and after the call (returned
//! or raised) the copies that changed are applied back to their originals
//! in place.
//!
//! Change detection is shallow and by identity: a copy is unchanged when it
//! holds the very CPython objects put into it, in the same order (the
//! bytes, for a bytearray). Nested containers are recorded on their own,
//! so a change at any depth is found where it happened, and an unchanged
//! large argument costs a pass over pointers, never a deep compare. The
//! items put in are held for the call, so none of them can be freed and
//! another object be made at its address (which would hide a change).
//!
//! Every function here runs with the GIL held.

use crate::convert::{set_items, ToRp};
use crate::ffi::{self, Obj};
use crate::runtime::{rt, Owned, Runtime};
use rustc_hash::FxHashMap;
use rustpython_vm::builtins::{PyByteArray, PyDict, PyFloat, PyInt, PyList, PySet, PySlice, PyStr, PyBytes};
use rustpython_vm::{AsObject, PyObject, PyObjectRef, PyPayload, PyResult, VirtualMachine};

/// What a recorded original held when its copy was made.
pub enum Given {
    List(Vec<PyObjectRef>),
    /// A dict copy compared by entries.
    Dict(Vec<(PyObjectRef, PyObjectRef)>),
    /// A dict copy told changed by its version tag once filled (when the
    /// layout is known), and the originals of the items held for their
    /// identity (those [`Tracker::by_value`] says no to), in their order.
    VersionedDict(u64, Vec<PyObjectRef>),
    Set(Vec<PyObjectRef>),
    Bytes(Vec<u8>),
}

/// One original and its copy.
struct Record {
    orig: PyObjectRef,
    /// Held in [`Tracker::held`].
    copy: Obj,
    /// The CPython objects put into the copy, a range of [`Tracker::held`]
    /// (a dict's as key, value, key, value...), in the order of `given`.
    items: std::ops::Range<usize>,
    given: Given,
}

/// The mutable containers of one call's arguments.
pub struct Tracker {
    rt: &'static Runtime,
    /// References held until the write-back: each copy and its items (one
    /// vector for the call rather than one per container).
    held: Vec<Obj>,
    records: Vec<Record>,
    /// The copies of immutable containers (`tuple`, `frozenset`, held in
    /// `held`) and their originals: never written back, but a result that
    /// is one of them gives its original.
    values: Vec<(Obj, PyObjectRef)>,
}

impl Default for Tracker {
    fn default() -> Tracker {
        Tracker { rt: rt(), held: Vec::new(), records: Vec::new(), values: Vec::new() }
    }
}

impl Tracker {
    /// Whether dicts' version tags can be read (see [`Given::VersionedDict`]).
    pub fn versioned(&self) -> bool {
        self.rt.layout
    }

    /// Whether `c` (live), put into a versioned dict copy, needs no
    /// holding: None, a bool, an exact `str`, `int` or `float` (converted
    /// back, it is an equal value of the same type: its identity is not
    /// worth a reference per item), or a copy of a list or dict (held by
    /// its own record).
    pub fn by_value(&self, c: Obj) -> bool {
        let st = &self.rt.st;
        // SAFETY: `c` is live (just converted), GIL held.
        let tp = unsafe { ffi::type_of(c) };
        c == st.none || c == st.true_ || c == st.false_ || tp == st.str_type || tp == st.int_type || tp == st.float_type || tp == st.list_type || tp == st.dict_type
    }

    /// Holds `kept` (a versioned dict's items), for [`Tracker::record`];
    /// returns where they start.
    pub fn hold_kept(&mut self, kept: &[Obj]) -> usize {
        let start = self.held.len();
        for &o in kept {
            incref(o);
            self.held.push(o);
        }
        start
    }

    /// Room for the `n` items of a copy about to be made, where they start
    /// (reserved before its items are converted, which record the copies
    /// nested in it after that room).
    pub fn reserve(&mut self, n: usize) -> usize {
        let start = self.held.len();
        self.held.resize(start + n, std::ptr::null_mut());
        start
    }

    /// Holds `o` (borrowed) for the call, at `i`, a place reserved.
    pub fn put(&mut self, i: usize, o: Obj) {
        if i < self.held.len() {
            incref(o);
            self.held[i] = o;
        }
    }

    /// Records `orig`, copied as `copy`, whose `n` items were put from
    /// `start`.
    pub fn record(&mut self, orig: &PyObject, copy: Obj, start: usize, n: usize, given: Given) {
        incref(copy);
        self.held.push(copy);
        self.records.push(Record { orig: orig.to_owned(), copy, items: start..start + n, given });
    }

    /// Applies the copies that changed to their originals.
    pub fn write_back(&self, vm: &VirtualMachine) -> PyResult<()> {
        // Most calls pass no mutable container: nothing to set up.
        if self.records.is_empty() {
            return Ok(());
        }
        let mut changed = Vec::new();
        for r in &self.records {
            if self.changed(vm, r)? {
                changed.push(r);
            }
        }
        if changed.is_empty() {
            return Ok(());
        }
        let mut conv = ToRp::with_originals(vm, self.originals(vm, &changed));
        // All contents converted before any original changes: a conversion
        // may run RustPython code, which should see the originals whole.
        let contents = changed.iter().map(|r| contents(&mut conv, r)).collect::<PyResult<Vec<_>>>()?;
        for (r, c) in changed.iter().zip(contents) {
            apply(vm, r, c)?;
        }
        Ok(())
    }

    /// Remembers `copy` (borrowed), an immutable container's copy of
    /// `orig`, for [`Tracker::originals_of_copies`]; held for the call, so
    /// no other object can take its address meanwhile.
    pub fn remember_value(&mut self, orig: &PyObject, copy: Obj) {
        incref(copy);
        self.held.push(copy);
        self.values.push((copy, orig.to_owned()));
    }

    /// The original of each copy, by the copy's address; None when the
    /// call copied no container.
    pub fn originals_of_copies(&self) -> Option<FxHashMap<usize, PyObjectRef>> {
        if self.records.is_empty() && self.values.is_empty() {
            return None;
        }
        let values = self.values.iter().map(|(c, o)| (*c as usize, o.clone()));
        Some(self.record_originals().chain(values).collect())
    }

    /// The original of each recorded (mutable) copy, by the copy's address.
    fn record_originals(&self) -> impl Iterator<Item = (usize, PyObjectRef)> + '_ {
        self.records.iter().map(|r| (r.copy as usize, r.orig.clone()))
    }

    /// Whether `r`'s copy holds other objects than were put into it.
    fn changed(&self, vm: &VirtualMachine, r: &Record) -> PyResult<bool> {
        let put = &self.held[r.items.clone()];
        Ok(match &r.given {
            Given::List(_) => list_differs(r.copy, put),
            // SAFETY: an exact dict (a copy the tracker holds), layout
            // checked when a version was read.
            Given::VersionedDict(version, _) => *version != unsafe { ffi::Layout::dict_version(r.copy) },
            Given::Dict(_) => dict_differs(r.copy, put),
            Given::Set(_) => {
                let mut now: Vec<Obj> = set_items(vm, r.copy)?.iter().map(|o| o.0).collect();
                let mut put = put.to_vec();
                now.sort_unstable();
                put.sort_unstable();
                now != put
            }
            Given::Bytes(b) => bytearray_data(r.copy) != &b[..],
        })
    }

    /// What the write-back converts back as the original objects: every
    /// copy (a container moved elsewhere, or cyclic, comes back as its
    /// original), and the items put into the changed copies (those still
    /// there keep their identity).
    fn originals(&self, vm: &VirtualMachine, changed: &[&Record]) -> FxHashMap<usize, PyObjectRef> {
        let mut map = FxHashMap::default();
        for r in changed {
            let put = &self.held[r.items.clone()];
            let given: Vec<&PyObjectRef> = match &r.given {
                Given::List(v) | Given::Set(v) | Given::VersionedDict(_, v) => v.iter().collect(),
                Given::Dict(pairs) => pairs.iter().flat_map(|(k, v)| [k, v]).collect(),
                Given::Bytes(_) => Vec::new(),
            };
            for (&c, rp) in put.iter().zip(given) {
                if !c.is_null() && stands_for(vm, rp) {
                    map.insert(c as usize, rp.clone());
                }
            }
        }
        map.extend(self.record_originals());
        map
    }
}

impl Drop for Tracker {
    fn drop(&mut self) {
        // Null: the room of a copy whose conversion failed.
        for &o in self.held.iter().filter(|o| !o.is_null()) {
            // SAFETY: a reference the tracker holds; GIL held (the
            // module's rule).
            unsafe { self.rt.decref(o) }
        }
    }
}

/// A new reference to `o`, live (just converted, or held), with the GIL held.
fn incref(o: Obj) {
    // SAFETY: `o` is live and the GIL held (this function's rule).
    unsafe { rt().incref(o) }
}

/// Whether the CPython object made for `rp` stands for `rp` itself: not
/// for an instance of a subclass of `int`, `float`, `str` or `bytes`,
/// which crosses as its base value (CPython may share that value's object,
/// a small int, with a value C puts in).
fn stands_for(vm: &VirtualMachine, rp: &PyObject) -> bool {
    let valued = rp.downcastable::<PyInt>() || rp.downcastable::<PyStr>() || rp.downcastable::<PyFloat>() || rp.downcastable::<PyBytes>();
    if !valued {
        return true;
    }
    let t = &vm.ctx.types;
    let cls = rp.class();
    [t.int_type, t.bool_type, t.str_type, t.float_type, t.bytes_type].iter().any(|b| cls.is(*b))
}

/// A list's length and item `i` (borrowed), read in place when the layout
/// was checked.
fn list_len(o: Obj) -> usize {
    // SAFETY: `o` is a live exact list (a copy the tracker holds), GIL held.
    unsafe { if rt().layout { ffi::Layout::seq_len(o) } else { (rt().api.PyList_Size)(o).max(0) as usize } }
}

fn list_item(o: Obj, i: usize) -> Obj {
    // SAFETY: as `list_len`, and `i` below the length the caller just read.
    unsafe { if rt().layout { ffi::Layout::list_item(o, i) } else { (rt().api.PyList_GetItem)(o, i as isize) } }
}

/// Whether list `o` differs from `put`.
fn list_differs(o: Obj, put: &[Obj]) -> bool {
    list_len(o) != put.len() || put.iter().enumerate().any(|(i, &p)| list_item(o, i) != p)
}

/// Whether dict `o` differs from `put` (key, value, key, value...) in its
/// entries or their order.
fn dict_differs(o: Obj, put: &[Obj]) -> bool {
    let api = &rt().api;
    let (mut pos, mut k, mut v) = (0isize, std::ptr::null_mut(), std::ptr::null_mut());
    let mut expected = put.chunks_exact(2);
    // SAFETY: PyDict_Next on a live dict (a copy the tracker holds), GIL
    // held; the borrowed key and value are only compared.
    while unsafe { (api.PyDict_Next)(o, &mut pos, &mut k, &mut v) } != 0 {
        match expected.next() {
            Some(&[pk, pv]) if pk == k && pv == v => {}
            _ => return true,
        }
    }
    expected.next().is_some()
}

/// A bytearray's bytes (borrowed).
fn bytearray_data<'a>(o: Obj) -> &'a [u8] {
    let api = &rt().api;
    // SAFETY: a live bytearray (a copy the tracker holds), GIL held: its
    // buffer holds `size` bytes (AsString gives a valid pointer even when
    // empty).
    unsafe { std::slice::from_raw_parts((api.PyByteArray_AsString)(o).cast::<u8>(), (api.PyByteArray_Size)(o) as usize) }
}

/// A changed copy's contents, converted.
enum Contents {
    List(Vec<PyObjectRef>),
    Set(Vec<PyObjectRef>),
    Pairs(Vec<(PyObjectRef, PyObjectRef)>),
    Bytes(Vec<u8>),
}

fn contents(conv: &mut ToRp<'_>, r: &Record) -> PyResult<Contents> {
    let vm = conv.vm();
    Ok(match r.given {
        Given::List(_) => {
            // Taken before converting any (a conversion may run code that
            // changes the list).
            let items: Vec<Owned> = (0..list_len(r.copy)).map(|i| {
                let o = list_item(r.copy, i);
                incref(o);
                Owned(o)
            }).collect();
            Contents::List(items.iter().map(|o| conv.convert(o.0)).collect::<PyResult<_>>()?)
        }
        Given::Dict(_) | Given::VersionedDict(..) => Contents::Pairs(dict_pairs(conv, r.copy)?),
        Given::Set(_) => Contents::Set(set_items(vm, r.copy)?.iter().map(|o| conv.convert(o.0)).collect::<PyResult<_>>()?),
        Given::Bytes(_) => Contents::Bytes(bytearray_data(r.copy).to_vec()),
    })
}

fn dict_pairs(conv: &mut ToRp<'_>, o: Obj) -> PyResult<Vec<(PyObjectRef, PyObjectRef)>> {
    let api = &rt().api;
    let mut taken = Vec::new();
    let (mut pos, mut k, mut v) = (0isize, std::ptr::null_mut(), std::ptr::null_mut());
    // SAFETY: PyDict_Next on a live dict, GIL held; each borrowed key and
    // value gets a reference of its own before any conversion runs code.
    while unsafe { (api.PyDict_Next)(o, &mut pos, &mut k, &mut v) } != 0 {
        incref(k);
        incref(v);
        taken.push((Owned(k), Owned(v)));
    }
    taken.iter().map(|(k, v)| Ok((conv.convert(k.0)?, conv.convert(v.0)?))).collect()
}

/// Replaces the contents of `r`'s original with `c`.
fn apply(vm: &VirtualMachine, r: &Record, c: Contents) -> PyResult<()> {
    let orig = &r.orig;
    match c {
        Contents::List(items) => {
            let list = orig.downcast_ref::<PyList>().ok_or_else(|| vm.new_system_error("write-back: not a list"))?;
            // The old items dropped after the lock is released (a
            // destructor may read the list).
            let old = std::mem::replace(&mut *list.borrow_vec_mut(), items);
            drop(old);
        }
        Contents::Set(items) => {
            let set = orig.downcast_ref::<PySet>().ok_or_else(|| vm.new_system_error("write-back: not a set"))?;
            vm.call_method(orig, "clear", ())?;
            for item in items {
                set.add(item, vm)?;
            }
        }
        Contents::Pairs(pairs) => {
            let dict = orig.downcast_ref::<PyDict>().ok_or_else(|| vm.new_system_error("write-back: not a dict"))?;
            // Through the methods for a subclass (OrderedDict keeps its
            // own order): what `orig.clear(); orig[k] = v` does.
            vm.call_method(orig, "clear", ())?;
            for (k, v) in pairs {
                dict.set_item(&*k, v, vm)?;
            }
        }
        Contents::Bytes(bytes) => {
            let all = PySlice { start: None, stop: vm.ctx.none(), step: None }.into_ref(&vm.ctx);
            let _: &PyByteArray = orig.downcast_ref().ok_or_else(|| vm.new_system_error("write-back: not a bytearray"))?;
            // `orig[:] = bytes`: resizing checks the exported buffers.
            vm.call_method(orig, "__setitem__", (all, vm.ctx.new_bytes(bytes)))?;
        }
    }
    Ok(())
}
