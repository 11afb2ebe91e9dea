//! The buffer protocol of HPy types: `HPy_bf_getbuffer` and
//! `HPy_bf_releasebuffer` behind RustPython's `as_buffer` type slot.
//!
//! RustPython asks a type for a `PyBuffer`: a descriptor (length, item size,
//! format, shape and strides) plus functions that give the bytes and count
//! retains and releases. Each export calls the extension's `getbuffer` once;
//! the filled `HPy_buffer` lives in an [`Export`] object that the `PyBuffer`
//! points to, and when its last user releases it the extension's
//! `releasebuffer` runs and the view's `obj` handle is closed, as CPython's
//! `PyBuffer_Release` does. (So `memoryview(x).obj` is the export, not `x`:
//! RustPython's buffer functions get nothing but the `PyBuffer`, whose
//! object is the only place to keep the view of one particular export.)

use crate::host::error::take_pending;
use crate::host::take_handle;
use crate::typeobj::info_of;
use core::ffi::{c_int, CStr};
use core::sync::atomic::{AtomicUsize, Ordering};
use crate::module::{Ctx, Impl};
use lichen_abi::{HPyContext, HPyFunc_Signature, HPy_buffer, HPy_ssize_t, HPy};
use rustpython_vm::common::borrow::{BorrowedValue, BorrowedValueMut};
use rustpython_vm::protocol::{BufferDescriptor, BufferMethods, PyBuffer};
use rustpython_vm::class::PyClassImpl;
use rustpython_vm::{PyObject, PyObjectRef, PyPayload, PyResult, VirtualMachine};
use std::borrow::Cow;

pub type GetBufferFn = unsafe extern "C" fn(*mut HPyContext, HPy, *mut HPy_buffer, c_int) -> c_int;
pub type ReleaseBufferFn = unsafe extern "C" fn(*mut HPyContext, HPy, *mut HPy_buffer);

/// A type's buffer slots (`HPy_bf_getbuffer`, `HPy_bf_releasebuffer`) and
/// the context they run under.
#[derive(Debug, Clone, Copy)]
pub struct BufferSlots {
    pub get: Impl,
    pub release: Option<Impl>,
    pub ctx: Ctx,
}

/// CPython's `PyBUF_FULL_RO`: RustPython's consumers never say what they
/// need, and check `readonly` themselves before writing, so every export
/// asks for strides, format and shape, without requiring writability.
const REQUEST_FLAGS: c_int = 0x0100 | 0x0010 | 0x0008 | 0x0004;

/// An `HPy_buffer` is plain data filled by the extension; its pointers stay
/// valid until `releasebuffer`, which the export's last release runs.
struct View(HPy_buffer);
// SAFETY: the view is only read after `getbuffer` filled it, and handed
// back to the extension once; the memory it points to is the extension's,
// shared across threads as under CPython.
unsafe impl Send for View {}
unsafe impl Sync for View {}

/// One export of an HPy type's buffer.
#[rustpython_vm::pyclass(module = "_lichen", name = "HPyBufferExport")]
#[derive(PyPayload)]
pub struct Export {
    view: View,
    /// The bytes from `buf` that the descriptor's offsets address.
    span: usize,
    /// The exporter, when the view's `obj` handle does not already keep it
    /// alive (the usual `buf->obj = HPy_Dup(ctx, self)`): holding a second
    /// reference would show in `sys.getrefcount`, which CPython's
    /// `PyBuffer` does not add to.
    exporter: Option<PyObjectRef>,
    slots: BufferSlots,
    users: AtomicUsize,
}

#[rustpython_vm::pyclass]
impl Export {}

impl core::fmt::Debug for Export {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "HPyBufferExport({} bytes)", self.span)
    }
}

static METHODS: BufferMethods = BufferMethods {
    obj_bytes: |b| {
        let e = b.obj_as::<Export>();
        // SAFETY: `buf` holds `span` bytes until the export is released,
        // which cannot happen while this `PyBuffer` is retained.
        BorrowedValue::Ref(unsafe { span_of(e) })
    },
    obj_bytes_mut: |b| {
        let e = b.obj_as::<Export>();
        if e.span == 0 {
            // `buf` may be NULL for an empty view, which no slice may hold.
            return BorrowedValueMut::RefMut(&mut []);
        }
        // SAFETY: `span` > 0, so `len` > 0 (`descriptor` makes the span of
        // a view with no items its `len`) and `buf` is not NULL (which
        // `descriptor` refuses with a non-zero `len`); it holds the `span`
        // bytes the descriptor's offsets reach, as the extension's getbuffer
        // filled it, until the export is released, which cannot happen
        // while this `PyBuffer` is retained. RustPython asks for mutable bytes only of a buffer whose
        // descriptor is not read-only, and the extension said it may be
        // written (as a CPython consumer would write it).
        BorrowedValueMut::RefMut(unsafe { core::slice::from_raw_parts_mut(e.view.0.buf.cast::<u8>(), e.span) })
    },
    retain: |b| {
        b.obj_as::<Export>().users.fetch_add(1, Ordering::AcqRel);
    },
    release: |b| {
        let e = b.obj_as::<Export>();
        if e.users.fetch_sub(1, Ordering::AcqRel) == 1 {
            // SAFETY: the last user is gone: the view goes back once.
            unsafe { release_view(e) };
        }
    },
};

/// # Safety
/// The export's view must not be released yet.
unsafe fn span_of(e: &Export) -> &[u8] {
    if e.span == 0 {
        return &[];
    }
    // SAFETY: `span` > 0 here, so `buf` is not NULL and holds `span` bytes
    // (see `obj_bytes_mut` above), which stay valid while the view is not
    // released (this function's contract).
    unsafe { core::slice::from_raw_parts(e.view.0.buf.cast::<u8>(), e.span) }
}

/// Hands the view back to the extension and closes its `obj` handle.
///
/// # Safety
/// Called once per export, after its last release.
unsafe fn release_view(e: &Export) {
    let view = &e.view.0 as *const HPy_buffer as *mut HPy_buffer;
    if let Some(release) = e.slots.release {
        // SAFETY: the releasebuffer implementation (of that signature, by
        // its slot number) gets the exporter and the view its getbuffer
        // filled.
        unsafe {
            e.slots.ctx.call(HPyFunc_Signature::RELEASEBUFFERPROC, release, |c, f: ReleaseBufferFn| {
                f(c, exporter_of(e), view)
            })
        };
        // Nothing can catch an error of a release: like CPython, drop it.
        drop(take_pending());
    }
    // SAFETY: the view is not used again; its `obj` is a handle the
    // extension gave up to the view (or NULL).
    let obj = unsafe { core::mem::replace(&mut (*view).obj, HPy::NULL) };
    if !obj.is_null() {
        // SAFETY: the view owned this handle.
        drop(unsafe { take_handle(obj) });
    }
}

/// The exporter, lent: kept alive by the export or by the view's `obj`
/// handle, which is closed only after `releasebuffer` ran.
fn exporter_of(e: &Export) -> HPy {
    match &e.exporter {
        Some(obj) => lend(obj),
        None => e.view.0.obj,
    }
}

/// `Some(obj)` unless the view's `obj` handle is `obj` itself.
fn keep_exporter(obj: &PyObject, view: &HPy_buffer) -> Option<PyObjectRef> {
    (view.obj._i != lend(obj)._i).then(|| obj.to_owned())
}

fn lend(obj: &PyObject) -> HPy {
    HPy { _i: obj as *const PyObject as isize }
}

/// RustPython's `as_buffer` slot for HPy types with `HPy_bf_getbuffer`.
pub fn as_buffer(obj: &PyObject, vm: &VirtualMachine) -> PyResult<PyBuffer> {
    let slots = info_of(obj.class()).and_then(|i| i.buffer).ok_or_else(|| {
        vm.new_type_error(format!("a bytes-like object is required, not '{}'", obj.class().name()))
    })?;
    // SAFETY: HPy_buffer is plain data: integers, pointers and a handle,
    // for which all zero bits mean 0/NULL.
    let mut view: HPy_buffer = unsafe { core::mem::zeroed() };
    // SAFETY: the getbuffer implementation (of that signature, by its slot
    // number) gets a live receiver and a view to fill.
    let status = unsafe {
        slots.ctx.call(HPyFunc_Signature::GETBUFFERPROC, slots.get, |c, f: GetBufferFn| {
            f(c, lend(obj), &mut view, REQUEST_FLAGS)
        })
    };
    if let Some(e) = take_pending() {
        if status == 0 {
            release_failed(&slots, obj, view);
        }
        return Err(e);
    }
    if status != 0 {
        return Err(vm.new_system_error("HPy_bf_getbuffer returned an error without setting an exception"));
    }
    let (desc, span) = match descriptor(vm, &view) {
        Ok(d) => d,
        Err(e) => {
            release_failed(&slots, obj, view);
            return Err(e);
        }
    };
    let exporter = keep_exporter(obj, &view);
    let export = Export { view: View(view), span, exporter, slots, users: AtomicUsize::new(0) };
    Export::make_static_type();
    Ok(PyBuffer::new(export.into_pyobject(vm), desc, &METHODS))
}

/// Gives back a view that was filled but cannot be used.
fn release_failed(slots: &BufferSlots, obj: &PyObject, view: HPy_buffer) {
    let exporter = keep_exporter(obj, &view);
    let export = Export { view: View(view), span: 0, exporter, slots: *slots, users: AtomicUsize::new(0) };
    // SAFETY: the view was never handed out; this is its only release.
    unsafe { release_view(&export) };
}

/// `n` entries of an array the extension filled (empty for NULL).
///
/// # Safety
/// `p` must be NULL or point to `n` readable entries.
unsafe fn entries<'a>(p: *const HPy_ssize_t, n: usize) -> Option<&'a [HPy_ssize_t]> {
    // SAFETY: the slice is made only for a non-NULL `p` (the `then`),
    // which then points to `n` readable entries (this function's contract).
    (!p.is_null()).then(|| unsafe { core::slice::from_raw_parts(p, n) })
}

/// RustPython's descriptor for a filled view, and the number of bytes from
/// `buf` its offsets reach; `BufferError` for what RustPython's model of a
/// buffer cannot express (negative strides, indirect buffers) or what is
/// inconsistent (it would otherwise fail an assertion in RustPython).
fn descriptor(vm: &VirtualMachine, v: &HPy_buffer) -> PyResult<(BufferDescriptor, usize)> {
    let bad = |what: &str| vm.new_exception_msg(vm.ctx.exceptions.buffer_error.to_owned(), format!("HPy_bf_getbuffer: {what}").into());
    if v.buf.is_null() && v.len != 0 {
        return Err(bad("the view has no data"));
    }
    if v.len < 0 || v.itemsize <= 0 || !(0..=64).contains(&v.ndim) {
        return Err(bad("invalid len, itemsize or ndim"));
    }
    let (len, itemsize, ndim) = (v.len as usize, v.itemsize as usize, v.ndim as usize);
    let format = if v.format.is_null() {
        Cow::Borrowed("B")
    } else {
        // SAFETY: a view's format is a NUL-terminated string that lives as
        // long as the view.
        Cow::Owned(unsafe { CStr::from_ptr(v.format) }.to_str().map_err(|_| bad("the format is not UTF-8"))?.to_owned())
    };
    // SAFETY: `shape`, `strides` and `suboffsets` are NULL or hold ndim entries.
    let (shape, strides, suboffsets) = unsafe { (entries(v.shape, ndim), entries(v.strides, ndim), entries(v.suboffsets, ndim)) };
    if suboffsets.is_some_and(|s| s.iter().any(|&o| o >= 0)) {
        return Err(bad("indirect buffers (suboffsets) are not supported by the RustPython host"));
    }
    let shape: Vec<usize> = match (ndim, shape) {
        (0, _) => Vec::new(),
        (1, None) => vec![len / itemsize],
        (_, None) => return Err(bad("a multi-dimensional view needs a shape")),
        (_, Some(s)) if s.iter().any(|&n| n < 0) => return Err(bad("negative shape")),
        (_, Some(s)) => s.iter().map(|&n| n as usize).collect(),
    };
    if ndim == 0 && len != itemsize {
        return Err(bad("a 0-dimensional view must hold exactly one item"));
    }
    if shape.iter().product::<usize>() * itemsize != len && ndim > 0 {
        return Err(bad("len is not the product of the shape and itemsize"));
    }
    let strides: Vec<isize> = match strides {
        Some(s) => s.to_vec(),
        None => c_strides(&shape, itemsize),
    };
    if strides.iter().any(|&s| s < 0) {
        return Err(bad("negative strides are not supported by the RustPython host"));
    }
    let empty = shape.contains(&0);
    if !empty && strides.contains(&0) {
        return Err(bad("zero strides are not supported by the RustPython host"));
    }
    let span = if empty || ndim == 0 {
        len
    } else {
        shape.iter().zip(&strides).map(|(&n, &s)| (n - 1) * s as usize).sum::<usize>() + itemsize
    };
    let desc = BufferDescriptor {
        len,
        readonly: v.readonly != 0,
        itemsize,
        format,
        dim_desc: shape.into_iter().zip(strides).map(|(n, s)| (n, s, 0)).collect(),
    };
    Ok((desc, span))
}

/// The strides of a C-contiguous array of `shape`.
fn c_strides(shape: &[usize], itemsize: usize) -> Vec<isize> {
    let mut strides = vec![0isize; shape.len()];
    let mut step = itemsize as isize;
    for (s, &n) in strides.iter_mut().zip(shape).rev() {
        *s = step;
        step *= n.max(1) as isize;
    }
    strides
}
