//! Buffers across the bridge, both ways.
//!
//! A CPython object's buffer seen from RustPython: `bytes(packer)`,
//! `memoryview(obj)`, `file.write(obj)` on a proxy whose CPython type
//! exports buffers (`bf_getbuffer`).
//!
//! The proxy classes of such types derive from [`base`], whose buffer slot
//! asks CPython for a C-contiguous buffer with its format and shape
//! (`PyObject_GetBuffer`) and lends its memory to RustPython. The RustPython
//! buffers made from one proxy share that one export while any of them
//! lives (the exporter keeps its memory in place while exported: a resize
//! raises BufferError on CPython's side meanwhile, as there); when the last
//! is released, the export is released at the next entry into CPython,
//! with the GIL (see [`release_pending`]).
//!
//! The other way, a RustPython object's buffer seen from CPython: the
//! proxy classes of RustPython types with a buffer slot derive from
//! `RBufferObject`, whose `bf_getbuffer` lends C the RustPython buffer's
//! memory (C-contiguous buffers only), holding the RustPython buffer (an
//! export on RustPython's side: a bytearray refuses to resize meanwhile)
//! until `bf_releasebuffer`. A RustPython memoryview crosses into C as a
//! CPython memoryview over such a proxy, so C reads and writes the same
//! memory (`readinto(memoryview(buf)[n:])`).

use crate::ffi::{self, Obj};
use crate::rpside::CObject;
use crate::runtime::{rt, Gil};
use rustpython_vm::builtins::PyTypeRef;
use rustpython_vm::class::StaticType;
use rustpython_vm::common::borrow::{BorrowedValue, BorrowedValueMut};
use rustpython_vm::protocol::{BufferDescriptor, BufferMethods, PyBuffer};
use rustpython_vm::types::{PyTypeFlags, PyTypeSlots};
use rustpython_vm::{PyObject, PyResult, VirtualMachine};
use std::collections::HashMap;
use std::ffi::{c_char, c_int, CString};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

/// One CPython export, shared by the RustPython buffers of one proxy.
struct Export {
    view: ReleasedView,
    desc: BufferDescriptor,
    /// The RustPython buffers holding it (and holds being made).
    count: usize,
}

// SAFETY: the view is read (its memory's address and length) under the
// map's lock and released by CPython with the GIL held; the memory it
// points to stays in place while exported, whichever thread reads it.
unsafe impl Send for Export {}

/// The live exports, by the address of their target.
static EXPORTS: Mutex<Option<HashMap<usize, Export>>> = Mutex::new(None);
/// Exports no buffer holds any more, released at the next entry.
static RELEASED: Mutex<Vec<ReleasedView>> = Mutex::new(Vec::new());
static HAS_RELEASED: AtomicBool = AtomicBool::new(false);

/// An export, and whether releasing it also releases its exporter, a
/// CPython memoryview that a RustPython memoryview stands for (see
/// [`standing_for`]).
struct ReleasedView(Box<ffi::PyBufferView>, bool);
// SAFETY: as for `Export`: only released, by CPython with the GIL held.
unsafe impl Send for ReleasedView {}

fn exports() -> MutexGuard<'static, Option<HashMap<usize, Export>>> {
    EXPORTS.lock().unwrap_or_else(|e| e.into_inner())
}

static METHODS: BufferMethods = BufferMethods { obj_bytes, obj_bytes_mut, release, retain };

thread_local! {
    /// Set while a RustPython memoryview standing for a CPython one is made.
    static STANDING_FOR: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, which makes a RustPython memoryview of a CPython memoryview's
/// proxy that stands for that memoryview (a memoryview crossing into
/// RustPython): when the RustPython one is released, so is the CPython
/// one (and the export of its object), as `release()` does on CPython.
pub fn standing_for<R>(f: impl FnOnce() -> R) -> R {
    STANDING_FOR.with(|s| s.set(true));
    let r = f();
    STANDING_FOR.with(|s| s.set(false));
    r
}

/// The base of the proxy classes of CPython types that export buffers: a
/// `CObject` class with RustPython's buffer slot.
pub fn base(vm: &VirtualMachine) -> PyTypeRef {
    static BASE: OnceLock<PyTypeRef> = OnceLock::new();
    BASE.get_or_init(|| {
        let mut slots = PyTypeSlots::default();
        slots.as_buffer = Some(as_buffer);
        slots.flags = PyTypeFlags::heap_type_flags();
        vm.ctx.new_class(Some("_lichen_bridge"), "CBufferObject", CObject::static_type().to_owned(), slots)
    })
    .clone()
}

/// Whether CPython's type `tp` exports buffers. GIL held.
pub fn exports_buffers(tp: Obj) -> bool {
    // SAFETY: a live type, GIL held (PyType_GetSlot takes static types
    // since 3.10).
    !unsafe { (rt().api.PyType_GetSlot)(tp, ffi::PY_BF_GETBUFFER) }.is_null()
}

/// The buffer slot of [`base`]'s classes.
fn as_buffer(zelf: &PyObject, vm: &VirtualMachine) -> PyResult<PyBuffer> {
    let proxy = zelf.downcast_ref::<CObject>().ok_or_else(|| vm.new_type_error("not a CPython proxy"))?;
    let key = proxy.target() as usize;
    let desc = match hold(key) {
        Some(desc) => desc,
        None => export(vm, proxy.target(), key)?,
    };
    let buffer = PyBuffer::new(zelf.to_owned(), desc, &METHODS);
    // The buffer's own hold (`retain` in `new`) keeps the export now.
    let_go(key);
    Ok(buffer)
}

/// Holds `key`'s live export, if any: its descriptor.
fn hold(key: usize) -> Option<BufferDescriptor> {
    let mut map = exports();
    let e = map.as_mut()?.get_mut(&key)?;
    e.count += 1;
    Some(e.desc.clone())
}

/// Asks CPython for `target`'s buffer and records it as `key`'s export,
/// held once (or holds the export another thread recorded meanwhile).
fn export(vm: &VirtualMachine, target: Obj, key: usize) -> PyResult<BufferDescriptor> {
    let view = {
        let _gil = Gil::enter(vm);
        let mut view = Box::new(ffi::PyBufferView {
            buf: std::ptr::null_mut(),
            obj: std::ptr::null_mut(),
            len: 0,
            itemsize: 0,
            readonly: 1,
            ndim: 0,
            format: std::ptr::null_mut(),
            shape: std::ptr::null_mut(),
            strides: std::ptr::null_mut(),
            suboffsets: std::ptr::null_mut(),
            internal: std::ptr::null_mut(),
        });
        // SAFETY: GIL held; `target` is live (its proxy holds it); `view`
        // is a Py_buffer to fill.
        if unsafe { (rt().api.PyObject_GetBuffer)(target, &mut *view, ffi::PY_BUF_CONTIG_FORMAT) } != 0 {
            return Err(crate::convert::fetched(vm));
        }
        view
    };
    let view = ReleasedView(view, STANDING_FOR.with(|s| s.replace(false)));
    let desc = match describe(&view.0) {
        Ok(desc) => desc,
        Err(why) => {
            queue_release(view);
            return Err(vm.new_buffer_error(format!("the CPython object's buffer cannot be read: {why}")));
        }
    };
    let mut map = exports();
    let map = map.get_or_insert_with(HashMap::new);
    if let Some(e) = map.get_mut(&key) {
        e.count += 1;
        let desc = e.desc.clone();
        queue_release(view);
        return Ok(desc);
    }
    map.insert(key, Export { view, desc: desc.clone(), count: 1 });
    Ok(desc)
}

/// RustPython's description of a C-contiguous CPython buffer, checked for
/// what RustPython requires (a length that is the product of the shape and
/// the item size).
fn describe(view: &ffi::PyBufferView) -> Result<BufferDescriptor, String> {
    let (len, itemsize) = (view.len, view.itemsize);
    if len < 0 || itemsize <= 0 || view.ndim < 0 || (view.ndim > 0 && view.shape.is_null()) {
        return Err(format!("length {len}, item size {itemsize}, {} dimensions", view.ndim));
    }
    let format = if view.format.is_null() {
        "B".to_owned()
    } else {
        // SAFETY: a NUL-terminated format string the exporter keeps while
        // exported.
        unsafe { std::ffi::CStr::from_ptr(view.format) }.to_string_lossy().into_owned()
    };
    let ndim = view.ndim as usize;
    // SAFETY: `shape` holds `ndim` sizes (PyBUF_ND asked for).
    let shape: Vec<isize> = (0..ndim).map(|i| unsafe { *view.shape.add(i) }).collect();
    if shape.iter().any(|&n| n < 0) {
        return Err(format!("shape {shape:?}"));
    }
    let product = shape.iter().try_fold(itemsize, |acc, &n| acc.checked_mul(n));
    if (ndim == 0 && len != itemsize) || (ndim > 0 && product != Some(len)) {
        return Err(format!("length {len} for shape {shape:?} of items of {itemsize} bytes"));
    }
    // C-contiguous strides, the last dimension's the item size.
    let mut stride = itemsize;
    let mut dims = vec![(0usize, 0isize, 0isize); ndim];
    for i in (0..ndim).rev() {
        dims[i] = (shape[i] as usize, stride, 0);
        stride = stride.saturating_mul(shape[i].max(1));
    }
    Ok(BufferDescriptor { len: len as usize, readonly: view.readonly != 0, itemsize: itemsize as usize, format: format.into(), dim_desc: dims })
}

/// The target's address, the key of its export.
fn key_of(buffer: &PyBuffer) -> usize {
    buffer.obj.downcast_ref::<CObject>().map_or(0, |p| p.target() as usize)
}

/// The memory of `buffer`'s export: its address and length.
fn memory(buffer: &PyBuffer) -> (*mut u8, usize) {
    let map = exports();
    match map.as_ref().and_then(|m| m.get(&key_of(buffer))) {
        Some(e) => (e.view.0.buf.cast::<u8>(), e.view.0.len as usize),
        None => (std::ptr::null_mut(), 0),
    }
}

fn obj_bytes(buffer: &PyBuffer) -> BorrowedValue<'_, [u8]> {
    let (ptr, len) = memory(buffer);
    if ptr.is_null() {
        return BorrowedValue::Ref(&[]);
    }
    // SAFETY: the export's memory, `len` bytes, which the exporter keeps in
    // place while exported; `buffer` holds the export (its count), so it
    // outlives the borrow of `buffer`.
    BorrowedValue::Ref(unsafe { std::slice::from_raw_parts(ptr, len) })
}

fn obj_bytes_mut(buffer: &PyBuffer) -> BorrowedValueMut<'_, [u8]> {
    let (ptr, len) = memory(buffer);
    if ptr.is_null() || buffer.desc.readonly {
        return BorrowedValueMut::RefMut(&mut []);
    }
    // SAFETY: as in `obj_bytes`, and the exporter gave writable memory
    // (`readonly` 0); writes race only with other writers of the same
    // buffer, as writes through a buffer do on CPython.
    BorrowedValueMut::RefMut(unsafe { std::slice::from_raw_parts_mut(ptr, len) })
}

fn retain(buffer: &PyBuffer) {
    let key = key_of(buffer);
    if let Some(e) = exports().as_mut().and_then(|m| m.get_mut(&key)) {
        e.count += 1;
    }
}

fn release(buffer: &PyBuffer) {
    let_go(key_of(buffer));
}

/// Drops one hold of `key`'s export; the last queues its release.
fn let_go(key: usize) {
    let mut map = exports();
    let Some(m) = map.as_mut() else { return };
    let Some(e) = m.get_mut(&key) else { return };
    e.count -= 1;
    if e.count == 0 {
        if let Some(e) = m.remove(&key) {
            drop(map);
            queue_release(e.view);
        }
    }
}

fn queue_release(view: ReleasedView) {
    RELEASED.lock().unwrap_or_else(|e| e.into_inner()).push(view);
    HAS_RELEASED.store(true, Ordering::Release);
}

/// Releases the exports no buffer holds any more. GIL held.
pub fn release_pending() {
    if !HAS_RELEASED.swap(false, Ordering::Acquire) {
        return;
    }
    let api = &rt().api;
    let views = std::mem::take(&mut *RELEASED.lock().unwrap_or_else(|e| e.into_inner()));
    for ReleasedView(mut view, release_exporter) in views {
        let exporter = view.obj;
        // SAFETY: GIL held. The exporter outlives the release through
        // this reference; the view is one PyObject_GetBuffer filled,
        // released once.
        unsafe {
            if release_exporter {
                (api.Py_IncRef)(exporter);
            }
            (api.PyBuffer_Release)(&mut *view);
        }
        if release_exporter {
            // SAFETY: GIL held; the exporter is live (the reference above),
            // a memoryview: `release()` lets go of its object's export. A
            // failure (another export of it is alive) leaves it be.
            unsafe {
                let method = (api.PyObject_GetAttrString)(exporter, c"release".as_ptr());
                let r = if method.is_null() { method } else { (api.PyObject_Vectorcall)(method, std::ptr::null(), 0, std::ptr::null_mut()) };
                if r.is_null() {
                    (api.PyErr_Clear)();
                } else {
                    (api.Py_DecRef)(r);
                }
                if !method.is_null() {
                    (api.Py_DecRef)(method);
                }
                (api.Py_DecRef)(exporter);
            }
        }
    }
}

/// What a Py_buffer lent to CPython holds (its `internal`): the RustPython
/// buffer, and the format and arrays the Py_buffer points to.
struct Lent {
    _buffer: PyBuffer,
    _format: CString,
    _shape: Vec<isize>,
    _strides: Vec<isize>,
}

/// `RBufferObject`'s `bf_getbuffer`: the target's RustPython buffer,
/// lent. GIL held (CPython's caller).
pub unsafe extern "C" fn robject_getbuffer(o: Obj, view: *mut ffi::PyBufferView, flags: c_int) -> c_int {
    let r = crate::cside::callback(|vm| {
        // SAFETY: CPython passes an RBufferObject, an RObject.
        let target = unsafe { crate::cside::target(o) };
        let buffer = <PyBuffer as rustpython_vm::convert::TryFromBorrowedObject>::try_from_borrowed_object(vm, &target)?;
        // SAFETY: CPython passes a Py_buffer to fill.
        unsafe { lend(vm, o, buffer, &mut *view, flags) }?;
        Ok(o)
    });
    if r.is_null() {
        -1
    } else {
        0
    }
}

/// Fills `view` with `buffer`'s memory and description for `flags`.
///
/// # Safety
/// GIL held; `o` the live RObject exporting, `view` CPython's.
unsafe fn lend(vm: &VirtualMachine, o: Obj, buffer: PyBuffer, view: &mut ffi::PyBufferView, flags: c_int) -> PyResult<()> {
    let desc = &buffer.desc;
    if !desc.is_contiguous() {
        return Err(vm.new_buffer_error("lichen bridge: only a C-contiguous RustPython buffer can be lent to CPython"));
    }
    if flags & ffi::PY_BUF_WRITABLE != 0 && desc.readonly {
        return Err(vm.new_buffer_error("Object is not writable."));
    }
    // The address stays valid after the borrow ends: the memory does not
    // move while the buffer (an export) lives, which `Lent` keeps.
    let buf = if desc.readonly { buffer.obj_bytes().as_ptr() as *mut u8 } else { buffer.obj_bytes_mut().as_mut_ptr() };
    let format = CString::new(desc.format.as_bytes()).map_err(|_| vm.new_buffer_error("a buffer format with a NUL"))?;
    let shape: Vec<isize> = desc.dim_desc.iter().map(|d| d.0 as isize).collect();
    let strides: Vec<isize> = desc.dim_desc.iter().map(|d| d.1).collect();
    let (len, itemsize, readonly) = (desc.len as isize, desc.itemsize as isize, desc.readonly);
    let mut lent = Box::new(Lent { _buffer: buffer, _format: format, _shape: shape, _strides: strides });
    view.buf = buf.cast();
    view.len = len;
    view.itemsize = itemsize;
    view.readonly = readonly as c_int;
    view.format = if flags & ffi::PY_BUF_FORMAT != 0 { lent._format.as_ptr() as *mut c_char } else { std::ptr::null_mut() };
    if flags & ffi::PY_BUF_ND == ffi::PY_BUF_ND {
        view.ndim = lent._shape.len() as c_int;
        view.shape = lent._shape.as_mut_ptr();
    } else {
        view.ndim = 1;
        view.shape = std::ptr::null_mut();
    }
    view.strides = if flags & ffi::PY_BUF_STRIDES == ffi::PY_BUF_STRIDES { lent._strides.as_mut_ptr() } else { std::ptr::null_mut() };
    view.suboffsets = std::ptr::null_mut();
    // SAFETY: GIL held; the view holds a reference to its exporter.
    unsafe { (rt().api.Py_IncRef)(o) };
    view.obj = o;
    view.internal = Box::into_raw(lent).cast();
    Ok(())
}

/// `RBufferObject`'s `bf_releasebuffer`: lets go of the RustPython buffer
/// (CPython releases the view's reference to the exporter itself).
pub unsafe extern "C" fn robject_releasebuffer(_o: Obj, view: *mut ffi::PyBufferView) {
    // SAFETY: a view `robject_getbuffer` filled, released once: `internal`
    // is the `Lent` it made. Dropping it releases the RustPython buffer,
    // which needs no VM (an export count).
    unsafe {
        let internal = std::mem::replace(&mut (*view).internal, std::ptr::null_mut());
        if !internal.is_null() {
            drop(Box::from_raw(internal.cast::<Lent>()));
        }
    }
}
