//! RustPython operations behind the text context functions.
//!
//! RustPython keeps neither bytes nor str NUL-terminated, while the ABI
//! hands out NUL-terminated buffers that stay valid as long as the object
//! lives. [`pinned_copy`] makes such a copy and keeps it, together with a
//! reference to its object, for the rest of the process: the object then
//! never dies, so the buffer is valid for as long as the ABI promises. The
//! cost is that every bytes or str object whose buffer an extension asked
//! for is kept alive (once per object).

use super::*;
use core::ffi::c_char;
use lichen_abi::{wchar_t, HPy_UCS4, HPy_ssize_t};
use lichen_core::host::{Codec, ExcKind, TextHost};
use rustpython_vm::builtins::{PyBytes, PyStr};
use rustpython_wtf8::{CodePoint, Wtf8Buf};
use std::collections::HashMap;
use std::sync::Mutex;

type Pinned = Mutex<Option<HashMap<usize, (PyObjectRef, Box<[u8]>)>>>;

/// How many independently locked parts the table of copies has: threads
/// asking for the buffers of different objects rarely wait for each other.
const SHARDS: usize = 64;

/// The NUL-terminated copies handed out, by object address; each entry
/// keeps its object alive so that the address is never reused.
static PINNED: [Pinned; SHARDS] = [const { Mutex::new(None) }; SHARDS];

/// A NUL-terminated copy of `data`, the contents of `obj`, valid for the
/// rest of the process.
pub(crate) fn pinned_copy(obj: &PyObject, data: &[u8]) -> *const c_char {
    let key = obj as *const PyObject as usize;
    // Objects are at least 16-byte aligned: the low bits say nothing.
    let shard = &PINNED[(key >> 4) % SHARDS];
    let mut table = shard.lock().unwrap_or_else(|p| p.into_inner());
    let table = table.get_or_insert_with(HashMap::new);
    let entry = table.entry(key).or_insert_with(|| {
        let mut copy = Vec::with_capacity(data.len() + 1);
        copy.extend_from_slice(data);
        copy.push(0);
        (obj.to_owned(), copy.into_boxed_slice())
    });
    entry.1.as_ptr().cast()
}

/// A str from UTF-8 bytes, or `UnicodeDecodeError`.
pub fn decode_utf8(vm: &VirtualMachine, bytes: &[u8]) -> PyResult<PyObjectRef> {
    match core::str::from_utf8(bytes) {
        Ok(s) => Ok(vm.ctx.new_str(s).into()),
        Err(_) => decode(vm, bytes, "utf-8", "strict"),
    }
}

/// `bytes.decode(encoding, errors)`.
fn decode(vm: &VirtualMachine, bytes: &[u8], encoding: &str, errors: &str) -> PyResult<PyObjectRef> {
    let b: PyObjectRef = vm.ctx.new_bytes(bytes.to_vec()).into();
    vm.call_method(&b, "decode", (vm.ctx.new_str(encoding), vm.ctx.new_str(errors)))
}

fn codec_name(codec: Codec) -> (&'static str, &'static str) {
    match codec {
        Codec::Ascii => ("ascii", "strict"),
        Codec::Latin1 => ("latin-1", "strict"),
        Codec::Utf8 => ("utf-8", "strict"),
        // The file-system codec of every POSIX RustPython.
        Codec::FsDefault => ("utf-8", "surrogateescape"),
    }
}

fn with_str<T>(vm: &VirtualMachine, h: HPy, err: T, f: impl FnOnce(&VirtualMachine, &PyObject, &PyStr) -> PyResult<T>) -> T {
    // SAFETY: the ABI requires a live handle.
    let obj = unsafe { h2o(h) };
    let Some(s) = obj.downcast_ref::<PyStr>() else {
        return fail(vm, ExcKind::TypeError, "bad argument type for built-in operation", err);
    };
    result_or(f(vm, obj, s), err)
}

fn with_bytes<T>(vm: &VirtualMachine, h: HPy, err: T, f: impl FnOnce(&PyObject, &PyBytes) -> T) -> T {
    // SAFETY: the ABI requires a live handle.
    let obj = unsafe { h2o(h) };
    match obj.downcast_ref::<PyBytes>() {
        Some(b) => f(obj, b),
        None => {
            let message = format!("expected bytes, {} found", obj.class().name());
            fail(vm, ExcKind::TypeError, &message, err)
        }
    }
}

/// A str from code points, which may include lone surrogates.
fn from_code_points(vm: &VirtualMachine, points: impl Iterator<Item = u32>) -> PyResult<PyObjectRef> {
    let mut buf = Wtf8Buf::new();
    for p in points {
        match CodePoint::from_u32(p) {
            Some(cp) => buf.push(cp),
            None => return Err(vm.new_value_error(format!("character U+{p:x} is not in range [U+0000; U+10ffff]"))),
        }
    }
    Ok(vm.ctx.new_str(buf).into())
}

impl TextHost for RustPython {
    fn bytes_check(_vm: &VirtualMachine, h: HPy) -> bool {
        // SAFETY: the ABI requires a live handle.
        unsafe { h2o(h) }.downcast_ref::<PyBytes>().is_some()
    }

    fn unicode_check(_vm: &VirtualMachine, h: HPy) -> bool {
        // SAFETY: the ABI requires a live handle.
        unsafe { h2o(h) }.downcast_ref::<PyStr>().is_some()
    }

    fn bytes_size(vm: &VirtualMachine, h: HPy) -> HPy_ssize_t {
        with_bytes(vm, h, -1, |_, b| b.as_bytes().len() as HPy_ssize_t)
    }

    fn bytes_data(vm: &VirtualMachine, h: HPy) -> *const c_char {
        with_bytes(vm, h, core::ptr::null(), |obj, b| pinned_copy(obj, b.as_bytes()))
    }

    unsafe fn bytes_from_buffer(vm: &VirtualMachine, data: *const c_char, size: HPy_ssize_t) -> HPy {
        let Ok(len) = usize::try_from(size) else {
            return fail(vm, ExcKind::SystemError, "Negative size passed to HPyBytes_FromStringAndSize", HPy::NULL);
        };
        // SAFETY: the core checked `data`; it holds `size` bytes.
        let bytes = unsafe { core::slice::from_raw_parts(data.cast::<u8>(), len) }.to_vec();
        o2h(vm.ctx.new_bytes(bytes).into())
    }

    fn unicode_encode(vm: &VirtualMachine, h: HPy, codec: Codec) -> HPy {
        let (encoding, errors) = codec_name(codec);
        with_str(vm, h, HPy::NULL, |vm, obj, _| {
            vm.call_method(obj, "encode", (vm.ctx.new_str(encoding), vm.ctx.new_str(errors))).map(o2h)
        })
    }

    unsafe fn unicode_decode(vm: &VirtualMachine, data: *const c_char, size: HPy_ssize_t, codec: Codec, errors: *const c_char) -> HPy {
        let (encoding, strict) = codec_name(codec);
        // SAFETY: `size` >= 0 (`unicode_decode`'s contract; the core raised
        // for a negative one) and `data`, not NULL (the core checked), holds
        // `size` bytes (HPy's contract for the decoders, passed on by the
        // core, which measured them itself for DecodeFSDefault).
        let bytes = unsafe { core::slice::from_raw_parts(data.cast::<u8>(), size.max(0) as usize) };
        let errors = if errors.is_null() || codec == Codec::FsDefault {
            strict.to_owned()
        } else {
            // SAFETY: `errors` is not NULL here, so NUL-terminated (HPy's
            // contract for the decoders' `errors`), `c_text`'s precondition.
            unsafe { super::error::c_text(errors) }
        };
        result_handle(decode(vm, bytes, encoding, &errors))
    }

    unsafe fn unicode_as_utf8(vm: &VirtualMachine, h: HPy, size: *mut HPy_ssize_t) -> *const c_char {
        with_str(vm, h, core::ptr::null(), |vm, obj, s| {
            let Some(text) = s.to_str() else {
                // Lone surrogates have no UTF-8 form; `encode` says which.
                return Err(vm
                    .call_method(obj, "encode", (vm.ctx.new_str("utf-8"),))
                    .err()
                    .unwrap_or_else(|| vm.new_value_error("str has no UTF-8 form")));
            };
            if !size.is_null() {
                // SAFETY: not NULL (checked above), so a writable
                // `HPy_ssize_t` (HPyUnicode_AsUTF8AndSize's contract, passed
                // on by the core).
                unsafe { *size = text.len() as HPy_ssize_t };
            }
            Ok(pinned_copy(obj, text.as_bytes()))
        })
    }

    unsafe fn unicode_from_wide(vm: &VirtualMachine, w: *const wchar_t, size: HPy_ssize_t) -> HPy {
        // SAFETY: `w` holds `size` characters, or is 0-terminated for -1.
        let chars: &[wchar_t] = unsafe {
            let len = if size < 0 { (0..).take_while(|&i| *w.add(i) != 0).count() } else { size as usize };
            core::slice::from_raw_parts(w, len)
        };
        result_handle(from_code_points(vm, chars.iter().map(|&c| c as u32)))
    }

    fn unicode_read_char(vm: &VirtualMachine, h: HPy, index: HPy_ssize_t) -> HPy_UCS4 {
        with_str(vm, h, HPy_UCS4::MAX, |vm, _, s| {
            usize::try_from(index)
                .ok()
                .and_then(|i| s.as_wtf8().code_points().nth(i))
                .map(|cp| cp.to_u32())
                .ok_or_else(|| vm.new_index_error("string index out of range"))
        })
    }

    unsafe fn unicode_from_encoded(vm: &VirtualMachine, obj: HPy, encoding: *const c_char, errors: *const c_char) -> HPy {
        // SAFETY: `obj` is live; the strings are NULL or NUL-terminated.
        let (obj, encoding, errors) = unsafe {
            let text = |s: *const c_char| (!s.is_null()).then(|| super::error::c_text(s));
            (h2ref(obj), text(encoding), text(errors))
        };
        let args = vec![
            obj,
            vm.ctx.new_str(encoding.unwrap_or_else(|| "utf-8".into())).into(),
            vm.ctx.new_str(errors.unwrap_or_else(|| "strict".into())).into(),
        ];
        result_handle(vm.ctx.types.str_type.as_object().call(args, vm))
    }

    fn unicode_substring(vm: &VirtualMachine, h: HPy, start: HPy_ssize_t, end: HPy_ssize_t) -> HPy {
        with_str(vm, h, HPy::NULL, |vm, _, s| {
            let (start, end) = (start as usize, end as usize);
            let points = s.as_wtf8().code_points().skip(start).take(end.saturating_sub(start));
            from_code_points(vm, points.map(|cp| cp.to_u32())).map(o2h)
        })
    }
}

