//! Context functions: types, and the entry point of the trampolines.

use crate::prelude::*;
use crate::type_spec::type_spec;
use core::mem::transmute;
use lichen_abi::trampoline as blocks;

pub unsafe fn Type_FromSpec<H: Host>(vm: H::Vm<'_>, ctx: *mut HPyContext, spec: *mut HPyType_Spec, params: *mut HPyType_SpecParam) -> HPy {
    // SAFETY: `spec` is checked not to be NULL above; HPy requires a non-NULL
    // `spec` to point to a valid HPyType_Spec (its arrays terminated, its
    // strings NUL-terminated, living as long as the module) and `params` to be
    // NULL or a 0-terminated array, which is `type_spec`'s contract.
    // `type_from_spec` gets the spec `type_spec` checked and the calling
    // context.
    unsafe {
        if spec.is_null() {
            H::raise(vm, ExcKind::SystemError, "HPyType_FromSpec: spec must not be NULL");
            return HPy::NULL;
        }
        match type_spec(spec, params) {
            Ok(spec) => H::type_from_spec(vm, &spec, crate::call::caller_or(ctx)),
            Err(e) => {
                H::raise(vm, e.kind, &e.message);
                HPy::NULL
            }
        }
    }
}

pub unsafe fn Type_GenericNew<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, type_: HPy, _args: *const HPy, _nargs: HPy_ssize_t, _kw: HPy) -> HPy {
    H::type_generic_new(vm, type_)
}

pub unsafe fn New<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h_type: HPy, data: *mut *mut c_void) -> HPy {
    // SAFETY: HPy_New's contract: `data` is NULL (checked) or points to
    // writable storage for the struct pointer, written only after a successful
    // allocation.
    unsafe {
        let mut storage = core::ptr::null_mut();
        let result = H::new_instance(vm, h_type, &mut storage);
        if !result.is_null() && !data.is_null() {
            *data = storage;
        }
        result
    }
}

macro_rules! as_struct {
    ($($name:ident => $shape:ident),* $(,)?) => {$(
        pub unsafe fn $name<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h: HPy) -> *mut c_void {
            H::as_struct(vm, h, HPyType_BuiltinShape::$shape)
        }
    )*};
}

as_struct! {
    AsStruct_Object => Object,
    AsStruct_Legacy => Legacy,
    AsStruct_Type => Type,
    AsStruct_Long => Long,
    AsStruct_Float => Float,
    AsStruct_Unicode => Unicode,
    AsStruct_Tuple => Tuple,
    AsStruct_List => List,
}

pub unsafe fn Type_GetBuiltinShape<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h_type: HPy) -> HPyType_BuiltinShape {
    H::type_builtin_shape(vm, h_type)
}

pub unsafe fn Type_GetName<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, type_: HPy) -> *const c_char {
    H::type_name(vm, type_)
}

pub unsafe fn Type_IsSubtype<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, sub: HPy, type_: HPy) -> c_int {
    H::type_is_subtype(vm, sub, type_)
}

pub unsafe fn SetCallFunction<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h: HPy, func: *mut HPyCallFunction) -> c_int {
    // SAFETY: `func` is checked not to be NULL above; HPy requires a non-NULL
    // one to point to an HPyCallFunction definition (static in the extension),
    // so the reference lives for the call.
    unsafe {
        if func.is_null() {
            H::raise(vm, ExcKind::SystemError, "HPy_SetCallFunction: func must not be NULL");
            return -1;
        }
        H::set_call_function(vm, h, &*func)
    }
}

// ---------------------------------------------------------------------------
// CallRealFunctionFromTrampoline
//
// Every argument block is converted the same way: objects become handles
// lent for the call, plain values pass through, and a returned handle is
// handed over to the trampoline. The implementation always gets the `ctx`
// the trampoline was given, so trace and debug contexts see the call.

/// How a field of an argument block is passed, by its kind in the
/// declaration: `obj` for an object, `[T]` for a plain value of type `T`.
macro_rules! arg_in {
    // SAFETY: the trampoline's block holds live objects of this VM.
    ($H:ident, $vm:ident, obj, $e:expr) => { unsafe { <$H as TrampolineHost>::trampoline_arg($vm, $e) } };
    ($H:ident, $vm:ident, [$t:ty], $e:expr) => { $e };
}

macro_rules! arg_done {
    ($H:ident, $vm:ident, obj, $h:expr) => { <$H as TrampolineHost>::trampoline_arg_done($vm, $h) };
    ($H:ident, $vm:ident, [$t:ty], $h:expr) => { let _ = $h; };
}

/// How the result is handed back, by its kind: `obj` (a new handle), `[T]`
/// (a plain value), `none`.
macro_rules! res_out {
    ($H:ident, $vm:ident, $a:ident, obj, $r:expr) => { $a.result = <$H as TrampolineHost>::trampoline_result($vm, $r) };
    ($H:ident, $vm:ident, $a:ident, [$t:ty], $r:expr) => { $a.result = $r };
    ($H:ident, $vm:ident, $a:ident, none, $r:expr) => { $r };
}

macro_rules! simple_signatures {
    ([$H:ident, $vm:ident, $ctx:ident, $sig:ident, $func:ident, $args:ident];
     $($name:ident = $n:literal, $lower:ident, $c:ident ($($field:ident : $kind:tt),*) -> $res:tt, $block:tt;)*) => {
        $(lichen_abi::if_simple_hpyfunc! { $c, $block, [$($kind)*] {
            if $sig == HPyFunc_Signature::$name {
                // SAFETY: a trampoline for signature `$name` passes the
                // argument block of that signature and an implementation
                // of the matching HPy function type (HPy's headers pair them).
                let a = unsafe { &mut *($args as *mut blocks::$name) };
                let f: func_types::$lower = unsafe { transmute($func) };
                $(let $field = arg_in!($H, $vm, $kind, a.$field);)*
                res_out!($H, $vm, a, $res, unsafe { f($ctx $(, $field)*) });
                $(arg_done!($H, $vm, $kind, $field);)*
                return;
            }
        }})*
    };
}

/// Handles for `objs`: the array itself when the host's handles are its
/// objects, else converted ones, in a stack buffer when they are few; the
/// token gives the converted ones back when dropped.
struct ArgHandles<'a, 'v, H: TrampolineHost> {
    vm: H::Vm<'v>,
    handles: Handles<'a>,
}

enum Handles<'a> {
    InPlace(&'a [HPy]),
    Small([HPy; 8], usize),
    Large(Vec<HPy>),
}

impl<'a, 'v, H: TrampolineHost> ArgHandles<'a, 'v, H> {
    unsafe fn new(vm: H::Vm<'v>, objs: &'a [Obj]) -> Self {
        // SAFETY: `new`'s caller passes `objs`, the live objects of a
        // trampoline's argument array: `trampoline_arg` lends each for the call
        // (given back by `Drop`), and `trampoline_args_in_place` is a safe host
        // check.
        let handles = unsafe {
            if let Some(handles) = H::trampoline_args_in_place(vm, objs) {
                Handles::InPlace(handles)
            } else if objs.len() <= 8 {
                let mut small = [HPy::NULL; 8];
                for (slot, &o) in small.iter_mut().zip(objs) {
                    *slot = H::trampoline_arg(vm, o);
                }
                Handles::Small(small, objs.len())
            } else {
                Handles::Large(objs.iter().map(|&o| H::trampoline_arg(vm, o)).collect())
            }
        };
        ArgHandles { vm, handles }
    }

    fn as_slice(&self) -> &[HPy] {
        match &self.handles {
            Handles::InPlace(handles) => handles,
            Handles::Small(small, len) => &small[..*len],
            Handles::Large(large) => large,
        }
    }

    fn as_ptr(&self) -> *const HPy {
        self.as_slice().as_ptr()
    }
}

impl<H: TrampolineHost> Drop for ArgHandles<'_, '_, H> {
    fn drop(&mut self) {
        if let Handles::InPlace(_) = self.handles {
            return;
        }
        for &h in self.as_slice() {
            H::trampoline_arg_done(self.vm, h);
        }
    }
}

/// A slice over a trampoline's argument array (empty for NULL).
unsafe fn obj_slice<'a>(ptr: *const Obj, len: usize) -> &'a [Obj] {
    // SAFETY: the caller passes `ptr` pointing to `len` objects of a
    // trampoline's argument block, live for the call (HPy's trampolines pass
    // the VM's own array); NULL or empty gives an empty slice without reading.
    unsafe {
        if ptr.is_null() || len == 0 {
            &[]
        } else {
            core::slice::from_raw_parts(ptr, len)
        }
    }
}


unsafe fn call_varargs<H: TrampolineHost>(vm: H::Vm<'_>, ctx: *mut HPyContext, func: HPyCFunction, a: &mut blocks::VARARGS) {
    // SAFETY: the caller (`call_special`) passes the VARARGS block of a VARARGS
    // trampoline and its implementation: `transmute` gives `func` the type HPy
    // declares for that signature, and `args`/`nargs` describe the VM's
    // argument array, live for the call, that `obj_slice` and `ArgHandles::new`
    // read; `self_` is the block's live object.
    unsafe {
        // SAFETY (all the `transmute`s of `func` below): the trampoline's
        // signature says which HPy function type the implementation has.
        let f: func_types::varargs = transmute(func);
        let nargs = a.nargs.max(0) as usize;
        let args = ArgHandles::<H>::new(vm, obj_slice(a.args, nargs));
        let self_ = H::trampoline_arg(vm, a.self_);
        a.result = H::trampoline_result(vm, f(ctx, self_, args.as_ptr(), nargs as HPy_ssize_t));
        H::trampoline_arg_done(vm, self_);
    }
}

unsafe fn call_keywords<H: TrampolineHost>(vm: H::Vm<'_>, ctx: *mut HPyContext, func: HPyCFunction, a: &mut blocks::KEYWORDS) {
    // SAFETY: the caller (`call_special`) passes the KEYWORDS block of a
    // KEYWORDS trampoline and its implementation: `func` has the HPy type of
    // that signature; `kwnames` is NULL or the vectorcall's tuple of names, and
    // `args` holds `nargs` positional then `nkw` keyword values, live for the
    // call, as `obj_slice` and `ArgHandles::new` read them.
    unsafe {
        let f: func_types::keywords = transmute(func);
        let nargs = H::vectorcall_nargs(vm, a.nargsf);
        let nkw = H::kwnames_len(vm, a.kwnames);
        let args = ArgHandles::<H>::new(vm, obj_slice(a.args, nargs + nkw));
        let self_ = H::trampoline_arg(vm, a.self_);
        let kwnames = H::trampoline_arg(vm, a.kwnames);
        a.result = H::trampoline_result(vm, f(ctx, self_, args.as_ptr(), nargs, kwnames));
        H::trampoline_arg_done(vm, kwnames);
        H::trampoline_arg_done(vm, self_);
    }
}

/// Runs `call` with the handles of a `(self, args tuple, kw dict)` triple.
unsafe fn with_tuple_args<H: TrampolineHost, R>(
    vm: H::Vm<'_>,
    self_: Obj,
    args: Obj,
    kw: Obj,
    call: impl FnOnce(HPy, *const HPy, HPy_ssize_t, HPy) -> R,
) -> R {
    // SAFETY: the caller passes the `self`, `args` (a tuple or NULL) and `kw`
    // (a dict or NULL) objects of a tp_new/tp_init trampoline block, live for
    // the call: `tuple_items` reads the tuple, `trampoline_arg` lends each
    // object until the matching `trampoline_arg_done`.
    unsafe {
        let items = H::tuple_items(vm, args);
        let handles = ArgHandles::<H>::new(vm, items);
        let self_ = H::trampoline_arg(vm, self_);
        let kw = H::trampoline_arg(vm, kw);
        let r = call(self_, handles.as_ptr(), items.len() as HPy_ssize_t, kw);
        H::trampoline_arg_done(vm, kw);
        H::trampoline_arg_done(vm, self_);
        r
    }
}

unsafe fn call_getbuffer<H: TrampolineHost>(vm: H::Vm<'_>, ctx: *mut HPyContext, func: HPyCFunction, a: &mut blocks::GETBUFFERPROC) {
    // SAFETY: the caller (`call_special`) passes the GETBUFFERPROC block of
    // that trampoline and its implementation: `func` has the HPy getbufferproc
    // type, `view` is the VM's buffer to fill (`buffer_export` on success,
    // `buffer_export_failed` on failure), and `HPy_buffer` is plain C data, so
    // all zeroes is a valid empty buffer for the implementation to fill.
    unsafe {
        let f: func_types::getbufferproc = transmute(func);
        let mut hbuf: HPy_buffer = core::mem::zeroed();
        let self_ = H::trampoline_arg(vm, a.self_);
        a.result = f(ctx, self_, &mut hbuf, a.flags);
        H::trampoline_arg_done(vm, self_);
        if a.result < 0 {
            H::buffer_export_failed(vm, a.view);
            return;
        }
        H::buffer_export(vm, &hbuf, a.view);
        H::close(vm, hbuf.obj);
    }
}

unsafe fn call_releasebuffer<H: TrampolineHost>(vm: H::Vm<'_>, ctx: *mut HPyContext, func: HPyCFunction, a: &mut blocks::RELEASEBUFFERPROC) {
    // SAFETY: the caller (`call_special`) passes the RELEASEBUFFERPROC block
    // and its implementation: `func` has the HPy releasebufferproc type and
    // `view` is the VM's buffer filled by an earlier getbuffer, which
    // `buffer_import` reads.
    unsafe {
        let f: func_types::releasebufferproc = transmute(func);
        let mut hbuf = H::buffer_import(vm, a.view);
        let self_ = H::trampoline_arg(vm, a.self_);
        f(ctx, self_, &mut hbuf);
        H::trampoline_arg_done(vm, self_);
        H::close(vm, hbuf.obj);
    }
}

unsafe fn call_capsule_destructor<H: TrampolineHost>(vm: H::Vm<'_>, func: HPyCFunction, capsule: *mut c_void) {
    // SAFETY: the caller (`call_special`) passes a CAPSULE_DESTRUCTOR
    // trampoline's implementation (the HPy destructor type, possibly NULL: an
    // Option of a function pointer) and `capsule`, the VM's capsule being
    // destroyed, which `capsule_parts` reads.
    unsafe {
        let f: HPyFunc_Capsule_Destructor = transmute(func);
        let parts = H::capsule_parts(vm, capsule.cast());
        if let Some(f) = f {
            f(parts.name, parts.pointer, parts.context);
        }
    }
}

/// [`call_real_function`] for the signatures its list does not convert one
/// argument at a time (varargs, keywords, init/new, buffers, traverse, the
/// capsule destructor, module create, destroy).
///
/// # Safety
/// As [`call_real_function`].
unsafe fn call_special<H: TrampolineHost>(vm: H::Vm<'_>, ctx: *mut HPyContext, sig: HPyFunc_Signature, func: HPyCFunction, args: *mut c_void) {
    // SAFETY: this function's contract: `sig` is a trampoline's signature,
    // `func` its implementation and `args` its argument block: each arm
    // casts the block and `func` to what HPy's headers define for that
    // signature, and hands them to the helper written for it.
    unsafe {
        // SAFETY (the block casts): the trampoline of `sig` passes that
        // signature's argument block, as HPy's headers define it.
        match sig {
            HPyFunc_Signature::VARARGS => call_varargs::<H>(vm, ctx, func, &mut *(args as *mut blocks::VARARGS)),
            HPyFunc_Signature::KEYWORDS => call_keywords::<H>(vm, ctx, func, &mut *(args as *mut blocks::KEYWORDS)),
            HPyFunc_Signature::INITPROC => {
                let a = &mut *(args as *mut blocks::INITPROC);
                let f: func_types::initproc = transmute(func);
                a.result = with_tuple_args::<H, _>(vm, a.self_, a.args, a.kw, |s, p, n, kw| f(ctx, s, p, n, kw));
            }
            HPyFunc_Signature::NEWFUNC => {
                let a = &mut *(args as *mut blocks::NEWFUNC);
                let f: func_types::newfunc = transmute(func);
                let r = with_tuple_args::<H, _>(vm, a.self_, a.args, a.kw, |s, p, n, kw| f(ctx, s, p, n, kw));
                a.result = H::trampoline_result(vm, r);
            }
            HPyFunc_Signature::GETBUFFERPROC => call_getbuffer::<H>(vm, ctx, func, &mut *(args as *mut blocks::GETBUFFERPROC)),
            HPyFunc_Signature::RELEASEBUFFERPROC => {
                call_releasebuffer::<H>(vm, ctx, func, &mut *(args as *mut blocks::RELEASEBUFFERPROC))
            }
            HPyFunc_Signature::TRAVERSEPROC => {
                let a = &mut *(args as *mut blocks::TRAVERSEPROC);
                let f: Option<HPyFunc_traverseproc> = transmute(func);
                a.result = match f {
                    Some(f) => H::traverse(vm, f, a.self_, a.visit, a.arg),
                    None => 0,
                };
            }
            HPyFunc_Signature::CAPSULE_DESTRUCTOR => call_capsule_destructor::<H>(vm, func, args),
            HPyFunc_Signature::MOD_CREATE => {
                let a = &mut *(args as *mut blocks::MOD_CREATE);
                let f: unsafe extern "C" fn(*mut HPyContext, HPy) -> HPy = transmute(func);
                let spec = H::trampoline_arg(vm, a.spec);
                a.result = H::trampoline_result(vm, f(ctx, spec));
                H::trampoline_arg_done(vm, spec);
                H::check_mod_create_result(vm, &mut a.result);
            }
            HPyFunc_Signature::DESTROYFUNC => {
                // Not reached through HPy's trampolines (tp_destroy is called by
                // the runtime's deallocator), but valid: the block is the object.
                let f: Option<func_types::destroyfunc> = transmute(func);
                if let Some(f) = f {
                    f(args);
                }
            }
            other => {
                let msg = format!(
                    "HPy: CallRealFunctionFromTrampoline called with unsupported signature {}\0",
                    other.0
                );
                H::fatal_error(msg.as_ptr().cast())
            }
        }
    }
}

/// Writes the failure value into the result of `sig`'s argument block
/// (NULL, or -1 for the integer results), for a call that panicked: HPy's
/// trampolines zero their block, and 0 would read as success for an `int`.
/// Generated from the signature declaration, per block shape.
macro_rules! mark_failed_arm {
    ($a:ident, $name:ident, $params:tt -> none, same) => { () };
    ($a:ident, $name:ident, $params:tt -> $r:tt, same) => {
        mark_failed_arm!(@write $a, $name)
    };
    ($a:ident, $name:ident, $params:tt -> $r:tt, none) => { () };
    ($a:ident, $name:ident, $params:tt -> $r:tt, { $bparams:tt -> none }) => { () };
    ($a:ident, $name:ident, $params:tt -> $r:tt, { $bparams:tt -> $br:tt }) => {
        mark_failed_arm!(@write $a, $name)
    };
    (@write $a:ident, $name:ident) => {{
        // SAFETY: the trampoline of this signature passed this block.
        let block = unsafe { &mut *($a as *mut blocks::$name) };
        block.result = ErrorValue::error_value();
    }};
}

macro_rules! mark_failed_fn {
    (; $($name:ident = $n:literal, $lower:ident, $ctx:ident $params:tt -> $r:tt, $block:tt;)*) => {
        pub(crate) unsafe fn mark_failed(sig: HPyFunc_Signature, args: *mut c_void) {
            if args.is_null() {
                return;
            }
            #[allow(unreachable_patterns)]
            match sig {
                $(HPyFunc_Signature::$name => mark_failed_arm!(args, $name, $params -> $r, $block),)*
                _ => {}
            }
        }
    };
}

lichen_abi::hpyfunc_signatures!(mark_failed_fn);

/// The entry of every CPython trampoline compiled into an extension, behind
/// the panic barrier: a panic becomes a `SystemError` and a failed result.
pub unsafe extern "C" fn CallRealFunctionFromTrampoline<H: TrampolineHost>(ctx: *mut HPyContext, sig: HPyFunc_Signature, func: HPyCFunction, args: *mut c_void) {
    crate::guard::guard(
        "HPy context function 'CallRealFunctionFromTrampoline'",
        |msg| {
            // SAFETY: the barrier of this entry reports on the thread the
            // trampoline called it on, which may use the VM (below).
            unsafe { H::enter(|vm| H::raise(vm, ExcKind::SystemError, msg)) };
            // SAFETY: `args` is the block of `sig` the trampoline passed.
            unsafe { mark_failed(sig, args) }
        },
        // SAFETY: HPy's contract for this entry, which only a trampoline
        // HPy's headers generate calls, and only the VM runs trampolines, on
        // a thread that may use it (CPython: with the GIL), as `enter`
        // requires; `func` is an implementation of signature `sig`, `args`
        // that signature's argument block and `ctx` the context the
        // extension was loaded with: exactly the contract of
        // `call_real_function`.
        || unsafe { H::enter(|vm| call_real_function::<H>(vm, ctx, sig, func, args)) },
    )
}

/// Calls `func` with the arguments in `args` and writes its result there,
/// converting as the trampoline of `sig` expects.
///
/// # Safety
/// `func` is an extension's implementation of signature `sig`, `args` points
/// to the argument block HPy's headers define for `sig`, and `ctx` is the
/// context the extension was loaded with; the thread holds the GIL.
unsafe fn call_real_function<H: TrampolineHost>(vm: H::Vm<'_>, ctx: *mut HPyContext, sig: HPyFunc_Signature, func: HPyCFunction, args: *mut c_void) {
    // Every simple signature of the declaration (see `if_simple_hpyfunc!`)
    // but MOD_CREATE, whose result is checked too, returns from here.
    if sig != HPyFunc_Signature::MOD_CREATE {
        lichen_abi::hpyfunc_signatures!(simple_signatures, [H, vm, ctx, sig, func, args]);
    }
    // SAFETY: the other signatures go to `call_special` with this
    // function's arguments unchanged, so its contract, the same as this
    // function's, holds.
    unsafe { call_special::<H>(vm, ctx, sig, func, args) }
}

/// `CallRealFunctionFromTrampoline` for a host that calls implementations
/// directly and runs no CPython trampoline (the default of
/// [`Host::CALL_REAL_FUNCTION`]). Only a CPython-ABI trampoline compiled into
/// an extension calls this member, and only CPython calls trampolines: being
/// here means foreign code passed `cpy_PyObject` blocks that are not this
/// VM's objects, so nothing sound can be done with them and the process
/// stops through HPy's fatal-error path, saying why.
pub unsafe extern "C" fn NoTrampolines<H: Host>(_ctx: *mut HPyContext, _sig: HPyFunc_Signature, _func: HPyCFunction, _args: *mut c_void) {
    // SAFETY: `fatal_error` needs a NUL-terminated message: `msg` ends with the
    // `\0` written into it, and it stops the process, so the String is never
    // freed while read.
    unsafe {
        let msg = format!(
            "HPy CallRealFunctionFromTrampoline: the {} host calls HPy implementations \
         directly; a CPython trampoline cannot run on it\0",
            H::NAME
        );
        H::fatal_error(msg.as_ptr().cast())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicked_call_marks_the_trampoline_block_failed() {
        // HPy's trampolines zero their block: 0 would read as success.
        let mut inquiry = blocks::INQUIRY { arg0: core::ptr::null_mut(), result: 0 };
        let mut len = blocks::LENFUNC { arg0: core::ptr::null_mut(), result: 0 };
        let mut init = blocks::INITPROC {
            self_: core::ptr::null_mut(),
            args: core::ptr::null_mut(),
            kw: core::ptr::null_mut(),
            result: 0,
        };
        let mut noargs = blocks::NOARGS { self_: core::ptr::null_mut(), result: 8 as *mut cpy_PyObject };
        // SAFETY: each block is the one of its signature.
        unsafe {
            mark_failed(HPyFunc_Signature::INQUIRY, (&mut inquiry as *mut blocks::INQUIRY).cast());
            mark_failed(HPyFunc_Signature::LENFUNC, (&mut len as *mut blocks::LENFUNC).cast());
            mark_failed(HPyFunc_Signature::INITPROC, (&mut init as *mut blocks::INITPROC).cast());
            mark_failed(HPyFunc_Signature::NOARGS, (&mut noargs as *mut blocks::NOARGS).cast());
            // No block (DESTROYFUNC) or no result (DESTRUCTOR): nothing written.
            mark_failed(HPyFunc_Signature::DESTRUCTOR, core::ptr::null_mut());
        }
        assert_eq!((inquiry.result, len.result, init.result), (-1, -1, -1));
        assert!(noargs.result.is_null());
    }
}
