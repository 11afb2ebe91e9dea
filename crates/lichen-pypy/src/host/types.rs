//! PyPy operations behind the types context functions. Classes are made by
//! Python from the checked spec (python/lichen/_pypy/types.py); an
//! instance's struct is a cffi buffer the object holds, whose address the
//! object table learns with the object's handle.

use super::*;
use crate::callbacks::py;
use crate::lock::Locked;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use crate::table::DataKind;
use crate::typedef;
use core::ffi::{c_char, c_int, c_void};
use lichen_abi::*;
use lichen_core::host::TypeHost;
use lichen_core::type_spec::TypeSpec;

/// Instances Python made ahead, by the `TypeInfo` of their class: an
/// `HPy_New` of a class made from a spec takes one without calling PyPy
/// (Python makes them in batches, one callback a batch). Each is a live
/// handle the pool owns, its class and struct known.
struct Pool {
    ready: Vec<HPy>,
    /// The size of the next batch: it grows while the class is used, so a
    /// class made once keeps few spares.
    batch: usize,
}

const FIRST_BATCH: usize = 4;
const MAX_BATCH: usize = 64;

static POOLS: Locked<HashMap<usize, Pool, BuildHasherDefault<crate::keyed::KeyHasher>>> =
    Locked::new(HashMap::with_hasher(BuildHasherDefault::new()));

/// How many handles the pools hold (not counted as in use).
pub fn pooled() -> usize {
    POOLS.with(|all| all.values().map(|p| p.ready.len()).sum())
}

/// An instance from the pool of `info`, refilling it through Python when
/// empty. None: Python failed (its exception is set).
fn pooled_instance(ty: HPy, info: usize) -> Option<HPy> {
    let batch = POOLS.with(|all| {
        let pool = pool_of(all, info);
        match pool.ready.pop() {
            Some(h) => Err(h),
            None => {
                let n = pool.batch;
                pool.batch = (n * 2).min(MAX_BATCH);
                Ok(n)
            }
        }
    });
    let n = match batch {
        Err(h) => return Some(h),
        Ok(n) => n,
    };
    let mut out = vec![0isize; 2 * n];
    let made = py!(new_instances(ty._i, n as isize, out.as_mut_ptr()));
    if made <= 0 {
        return None;
    }
    let mut made: Vec<HPy> = out
        .chunks_exact(2)
        .take(made as usize)
        .map(|pair| table::receive_known(pair[0], pair[1] as *mut c_void, info))
        .collect();
    let first = made.pop();
    POOLS.with(|all| pool_of(all, info).ready.extend(made));
    first
}

fn pool_of(all: &mut HashMap<usize, Pool, BuildHasherDefault<crate::keyed::KeyHasher>>, info: usize) -> &mut Pool {
    all.entry(info).or_insert(Pool { ready: Vec::new(), batch: FIRST_BATCH })
}

/// A new instance of the class of `ty`, its class and struct known (see
/// `table::learn`).
fn new_instance(ty: HPy) -> HPy {
    let info = table::type_info_of(ty);
    if info != 0 {
        return pooled_instance(ty, info).unwrap_or(HPy::NULL);
    }
    let mut learnt = [0isize; 2];
    let obj = h(py!(new_instance(ty._i, learnt.as_mut_ptr())));
    table::learn(obj, learnt[0] as usize, learnt[1] as *mut c_void);
    obj
}

/// The struct of the object of `h`, asking Python the first time.
#[inline]
pub fn payload_of(h: HPy) -> *mut c_void {
    match table::data_of(h) {
        (DataKind::Payload, data) => data,
        (DataKind::Unknown, _) => payload_from_python(h),
        _ => core::ptr::null_mut(),
    }
}

/// Out of line: the frame a call into Python needs cost the known case
/// (every `HPy_AsStruct` but the first of a handle) a third of its time.
#[cold]
#[inline(never)]
fn payload_from_python(h: HPy) -> *mut c_void {
    let mut class = 0isize;
    let data = py!(native_data(h._i, DataKind::Payload as c_int, &raw mut class));
    let kind = if data.is_null() { DataKind::None } else { DataKind::Payload };
    table::set_data(h, kind, data, class as usize);
    data
}

impl TypeHost for PyPy {
    unsafe fn type_from_spec(_held: LockHeld<'_>, spec: &TypeSpec, ctx: *mut HPyContext) -> HPy {
        match typedef::type_def(spec, ctx) {
            Ok(parts) => {
                let ty = h(py!(type_from_def(&raw const parts.def)));
                // the class Python made is exactly the spec's (a metaclass
                // cannot make it something else): checks against this
                // handle, and the globals stored from it, need no telling
                table::learn_type(ty, parts.def.type_id as usize);
                ty
            }
            Err(e) => super::error::fail(e.kind, &e.message, HPy::NULL),
        }
    }

    fn type_generic_new(_held: LockHeld<'_>, ty: HPy) -> HPy {
        new_instance(ty)
    }

    fn new_instance(_held: LockHeld<'_>, ty: HPy, data: &mut *mut c_void) -> HPy {
        let obj = new_instance(ty);
        if !obj.is_null() {
            *data = payload_of(obj);
        }
        obj
    }

    fn as_struct(_held: LockHeld<'_>, h: HPy, _shape: HPyType_BuiltinShape) -> *mut c_void {
        payload_of(h)
    }

    fn type_builtin_shape(_held: LockHeld<'_>, ty: HPy) -> HPyType_BuiltinShape {
        match py!(type_builtin_shape(ty._i)) {
            // the callback's error value; HPy's is -2
            -1 if super::error::occurred() => HPyType_BuiltinShape(-2),
            s => HPyType_BuiltinShape(s),
        }
    }

    fn type_name(_held: LockHeld<'_>, ty: HPy) -> *const c_char {
        py!(type_name(ty._i))
    }

    fn type_is_subtype(_held: LockHeld<'_>, sub: HPy, ty: HPy) -> c_int {
        py!(type_is_subtype(sub._i, ty._i))
    }

    fn set_call_function(_held: LockHeld<'_>, h: HPy, func: &HPyCallFunction) -> c_int {
        let impl_ = func.impl_.map_or(core::ptr::null_mut(), |f| f as *mut c_void);
        py!(set_call_function(h._i, impl_))
    }
}
