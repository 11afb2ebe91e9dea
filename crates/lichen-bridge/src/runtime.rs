//! The embedded CPython: finding and opening `libpython3.11`, starting it
//! once, and the GIL around every entry.
//!
//! The library is found from `LICHEN_LIBPYTHON` (a path), else by its
//! soname through the dynamic loader's search (Debian's
//! `/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0`), else in a few usual
//! places. It is opened `RTLD_GLOBAL`, since C extensions leave CPython's
//! symbols undefined and expect the process to provide them. Its home (the
//! standard library) is the nearest ancestor of the library's directory
//! holding `lib/python3.11/os.py`, or `LICHEN_PYTHONHOME`. The interpreter
//! is started without signal handlers, `site` and environment variables,
//! so that RustPython's `PYTHONPATH` and `SIGINT` handling stay
//! RustPython's.

use crate::ffi::{Api, Obj, Statics};
use libloading::os::unix::{Library, RTLD_GLOBAL, RTLD_NOW};
use rustpython_vm::vm::thread::ThreadedVirtualMachine;
use rustpython_vm::VirtualMachine;
use std::cell::Cell;
use std::ffi::{c_int, c_void, CStr, CString};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// The started interpreter: its API, static objects and the bridge's own
/// objects inside it (see [`crate::cside`]).
pub struct Runtime {
    pub api: Api,
    pub st: Statics,
    /// Where the library was found, for messages.
    pub library: PathBuf,
    pub version: String,
    /// The prefix of its standard library, if found.
    pub home: Option<PathBuf>,
    /// The type of CPython's proxies for RustPython objects.
    pub robject_type: Obj,
    /// The namespace of the bridge's Python code running in CPython.
    pub helper: Obj,
    pub module_type: Obj,
    /// Whether the value layouts of [`crate::ffi::Layout`] were checked to
    /// be this library's (the fast paths of converting from CPython).
    pub layout: bool,
    _lib: Library,
}

// SAFETY: the raw pointers are CPython objects that live for the rest of
// the process (types, a module namespace) and are only used with the GIL.
unsafe impl Send for Runtime {}
// SAFETY: shared references only read the fields, which are never mutated
// after start-up (the `OnceLock` publishes the struct once); the CPython
// objects they point to live for the rest of the process and are used only
// with the GIL, which serialises every thread's use of them.
unsafe impl Sync for Runtime {}

static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();

/// The embedded CPython, started on first use; the error says why it
/// cannot be (no library, wrong version, failed start-up).
pub fn runtime() -> Result<&'static Runtime, String> {
    RUNTIME.get_or_init(start).as_ref().map_err(Clone::clone)
}

/// [`runtime`], for RustPython code running on `vm`: the first such call
/// also keeps the template of the VMs of threads CPython starts (see
/// [`with_foreign_vm`]). Every entry into CPython comes after one.
pub fn runtime_for(vm: &VirtualMachine) -> Result<&'static Runtime, String> {
    let rt = runtime()?;
    let mut template = FOREIGN_TEMPLATE.lock().unwrap_or_else(|e| e.into_inner());
    if template.is_none() {
        *template = Some(vm.new_thread());
    }
    Ok(rt)
}

impl Runtime {
    /// Takes a new reference to `o`: inline where the layout check passed
    /// (a release build), through `Py_IncRef` otherwise.
    ///
    /// # Safety
    /// `o` must be a live object and the GIL held.
    pub unsafe fn incref(&self, o: Obj) {
        if self.layout {
            // SAFETY: `o` is live and the GIL held (the caller's promise);
            // a release build, checked at start-up.
            unsafe { crate::ffi::incref(o) }
        } else {
            // SAFETY: as above.
            unsafe { (self.api.Py_IncRef)(o) }
        }
    }

    /// Releases a reference to `o`, as [`Runtime::incref`] takes one.
    ///
    /// # Safety
    /// The caller owns the reference and holds the GIL.
    pub unsafe fn decref(&self, o: Obj) {
        if self.layout {
            // SAFETY: the caller owns the reference and holds the GIL; a
            // release build, checked at start-up.
            unsafe { crate::ffi::decref(&self.api, o) }
        } else {
            // SAFETY: as above.
            unsafe { (self.api.Py_DecRef)(o) }
        }
    }
}

/// The runtime, once started: only for code reached through a proxy,
/// which cannot exist before.
pub fn rt() -> &'static Runtime {
    match RUNTIME.get() {
        Some(Ok(rt)) => rt,
        _ => unreachable!("a bridge object exists only once CPython runs"),
    }
}

const SONAME: &str = "libpython3.11.so.1.0";
const USUAL_DIRS: &[&str] = &["/usr/lib/x86_64-linux-gnu", "/usr/local/lib", "/usr/lib64", "/usr/lib"];

/// Opens libpython: the `LICHEN_LIBPYTHON` path if set, else the soname,
/// else the usual directories.
fn open_library() -> Result<(Library, PathBuf), String> {
    let flags = RTLD_NOW | RTLD_GLOBAL;
    if let Some(path) = std::env::var_os("LICHEN_LIBPYTHON") {
        let path = PathBuf::from(path);
        // SAFETY: loading a shared library runs its initialisers; libpython's
        // only set up static data.
        return unsafe { Library::open(Some(&path), flags) }
            .map(|lib| (lib, path.clone()))
            .map_err(|e| format!("LICHEN_LIBPYTHON={}: {e}", path.display()));
    }
    let mut tried = vec![SONAME.to_owned()];
    // SAFETY: loading runs the library's initialisers; whatever the soname
    // resolves to is libpython3.11 by name, whose initialisers only set up
    // static data (the version is checked before any function is called).
    if let Ok(lib) = unsafe { Library::open(Some(SONAME), flags) } {
        return Ok((lib, PathBuf::from(SONAME)));
    }
    for dir in USUAL_DIRS {
        let path = Path::new(dir).join(SONAME);
        tried.push(path.display().to_string());
        if path.exists() {
            // SAFETY: loading runs the library's initialisers; a file named
            // libpython3.11.so.1.0 in a system library directory is
            // CPython's, whose initialisers only set up static data.
            let lib = unsafe { Library::open(Some(&path), flags) }.map_err(|e| format!("{}: {e}", path.display()))?;
            return Ok((lib, path));
        }
    }
    Err(format!(
        "libpython3.11 not found (tried {}); install CPython 3.11's shared library or set LICHEN_LIBPYTHON",
        tried.join(", ")
    ))
}

#[repr(C)]
struct DlInfo {
    fname: *const std::ffi::c_char,
    fbase: *mut c_void,
    sname: *const std::ffi::c_char,
    saddr: *mut c_void,
}

extern "C" {
    fn dladdr(addr: *const c_void, info: *mut DlInfo) -> c_int;
}

/// The file the library was loaded from, found through one of its symbols
/// (the soname alone does not say which directory the loader chose).
fn library_file(symbol: *const c_void) -> Option<PathBuf> {
    let mut info = DlInfo { fname: std::ptr::null(), fbase: std::ptr::null_mut(), sname: std::ptr::null(), saddr: std::ptr::null_mut() };
    // SAFETY: `info` is a valid out-parameter; dladdr only reads `symbol`'s value.
    if unsafe { dladdr(symbol, &mut info) } == 0 || info.fname.is_null() {
        return None;
    }
    // SAFETY: dladdr returned a NUL-terminated path owned by the loader.
    let name = unsafe { CStr::from_ptr(info.fname) };
    std::fs::canonicalize(name.to_str().ok()?).ok()
}

/// The prefix holding `lib/python3.11/os.py` nearest above `library`.
fn home_for(library: &Path) -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("LICHEN_PYTHONHOME") {
        return Some(PathBuf::from(home));
    }
    library.ancestors().skip(1).find(|dir| dir.join("lib/python3.11/os.py").is_file()).map(Path::to_path_buf)
}

/// Opens, checks and starts CPython, then releases the GIL.
fn start() -> Result<Runtime, String> {
    let (lib, named) = open_library()?;
    // SAFETY: the version check below rejects other CPythons before any
    // function is called with 3.11's signatures (Py_GetVersion has the
    // same one in every version).
    let version = unsafe { library_version(&lib) }?;
    if !version.starts_with("3.11.") {
        return Err(format!("{} is CPython {version}; the bridge embeds CPython 3.11", named.display()));
    }
    // SAFETY: checked to be CPython 3.11 just above.
    let api = unsafe { Api::load(&lib) }.map_err(|e| format!("{}: {e}", named.display()))?;
    // SAFETY: `lib` is a CPython shared library (3.11, checked above), as
    // `Statics::load` requires.
    let st = unsafe { Statics::load(&lib) }.map_err(|e| format!("{}: {e}", named.display()))?;
    let library = library_file(api.Py_InitializeEx as *const c_void).unwrap_or(named);
    let home = home_for(&library);
    // SAFETY: nothing else in the process starts this library's interpreter
    // (OnceLock runs `start` once).
    unsafe { initialize(&api, &st, &library, home.as_deref()) }?;
    // SAFETY: the interpreter runs and this thread holds the GIL.
    let layout = unsafe { crate::ffi::Layout::check(&lib, &api, &st) };
    let mut rt = Runtime {
        api,
        st,
        library,
        version,
        home,
        robject_type: std::ptr::null_mut(),
        helper: std::ptr::null_mut(),
        module_type: std::ptr::null_mut(),
        layout,
        _lib: lib,
    };
    // SAFETY: the interpreter runs and this thread holds the GIL.
    let set_up = unsafe { crate::cside::set_up(&mut rt) };
    // SAFETY: this thread holds the GIL since Py_InitializeEx; from now on
    // every entry takes it with PyGILState_Ensure.
    unsafe { (rt.api.PyEval_SaveThread)() };
    set_up.map(|()| rt)
}

/// `Py_GetVersion()`'s leading version number.
///
/// # Safety
/// `lib` must be a CPython shared library.
unsafe fn library_version(lib: &Library) -> Result<String, String> {
    // SAFETY: Py_GetVersion takes nothing and returns a static string.
    let get: libloading::os::unix::Symbol<unsafe extern "C" fn() -> *const std::ffi::c_char> =
        unsafe { lib.get(b"Py_GetVersion\0") }.map_err(|e| format!("not a CPython library: {e}"))?;
    // SAFETY: a static NUL-terminated string.
    let full = unsafe { CStr::from_ptr(get()) }.to_string_lossy().into_owned();
    Ok(full.split_whitespace().next().unwrap_or("").to_owned())
}

/// Sets the start-up flags and the home, and starts the interpreter.
///
/// # Safety
/// Once per process, with `api`/`st` from a CPython 3.11 library.
unsafe fn initialize(api: &Api, st: &Statics, library: &Path, home: Option<&Path>) -> Result<(), String> {
    // SAFETY: the flags are plain ints CPython reads at start-up.
    unsafe {
        *st.ignore_environment = 1;
        *st.no_site = 1;
        *st.no_user_site = 1;
    }
    if let Some(home) = home {
        let home = CString::new(home.as_os_str().as_encoded_bytes()).map_err(|e| e.to_string())?;
        // SAFETY: Py_DecodeLocale may be called before start-up; the wide
        // string it returns is kept for the rest of the process, as
        // Py_SetPythonHome requires.
        unsafe {
            let wide = (api.Py_DecodeLocale)(home.as_ptr(), std::ptr::null_mut());
            if wide.is_null() {
                return Err("cannot decode the CPython home path".into());
            }
            (api.Py_SetPythonHome)(wide);
        }
    }
    // SAFETY: 0: no signal handlers, RustPython keeps its own.
    unsafe { (api.Py_InitializeEx)(0) };
    // SAFETY: callable at any time.
    if unsafe { (api.Py_IsInitialized)() } == 0 {
        return Err(format!("{}: CPython failed to start", library.display()));
    }
    Ok(())
}

thread_local! {
    /// The VM of the innermost entry into CPython on this thread, for
    /// callbacks from CPython into RustPython.
    static ENTRY_VM: Cell<*const VirtualMachine> = const { Cell::new(std::ptr::null()) };
    /// This thread's CPython thread state, kept for the thread's lifetime.
    static THREAD: ThreadState = ThreadState::new();
}

/// Keeps one CPython thread state per thread that entered CPython: without
/// it, every outermost `PyGILState_Ensure`/`Release` pair would create and
/// destroy one.
struct ThreadState {
    gil_state: c_int,
    saved: *mut c_void,
}

impl ThreadState {
    fn new() -> ThreadState {
        let api = &rt().api;
        // SAFETY: the interpreter runs; Ensure makes this thread's state
        // and takes the GIL, SaveThread releases it again, keeping the
        // state (its counter stays at 1).
        unsafe {
            let gil_state = (api.PyGILState_Ensure)();
            let saved = (api.PyEval_SaveThread)();
            ThreadState { gil_state, saved }
        }
    }
}

impl Drop for ThreadState {
    fn drop(&mut self) {
        let api = &rt().api;
        // SAFETY: undoes `new` in reverse on the same thread, at its exit.
        unsafe {
            (api.PyEval_RestoreThread)(self.saved);
            (api.PyGILState_Release)(self.gil_state);
        }
    }
}

/// The GIL, held from `enter` to drop. Entries record their VM for
/// callbacks.
pub struct Gil {
    state: c_int,
    previous_vm: *const VirtualMachine,
}

/// A RustPython VM from which threads CPython started (never entered
/// from RustPython) get VMs of their own for callbacks: made from the VM
/// that first started the bridge ([`runtime_for`]).
static FOREIGN_TEMPLATE: Mutex<Option<ThreadedVirtualMachine>> = Mutex::new(None);

thread_local! {
    /// This thread's VM, on a thread CPython started (see [`with_foreign_vm`]).
    static FOREIGN_VM: std::cell::OnceCell<Option<ThreadedVirtualMachine>> = const { std::cell::OnceCell::new() };
}

/// Runs `f` with a RustPython VM of this thread, one CPython started:
/// made at its first callback from the template (see
/// [`FOREIGN_TEMPLATE`]), kept for the thread, and recorded as the entry
/// VM meanwhile. None when no VM was ever entered from.
pub fn with_foreign_vm<R>(f: impl FnOnce(&VirtualMachine) -> R) -> Option<R> {
    FOREIGN_VM.with(|cell| {
        let tvm = cell.get_or_init(|| {
            let template = FOREIGN_TEMPLATE.lock().unwrap_or_else(|e| e.into_inner());
            template.as_ref().map(|t| t.run(|vm| vm.new_thread()))
        });
        tvm.as_ref().map(|t| {
            t.run(|vm| {
                let previous = ENTRY_VM.with(|c| c.replace(vm));
                let r = f(vm);
                ENTRY_VM.with(|c| c.set(previous));
                r
            })
        })
    })
}

impl Gil {
    /// Takes the GIL for an entry from RustPython code running on `vm`.
    /// Waiting for it lets RustPython stop this thread meanwhile
    /// (`allow_threads`), as any blocking call should.
    pub fn enter(vm: &VirtualMachine) -> Gil {
        let state = rustpython_vm::vm::thread::allow_threads(vm, Self::ensure);
        let previous = ENTRY_VM.with(|c| c.replace(vm));
        crate::rpside::release_pending();
        crate::buffer::release_pending();
        Gil { state, previous_vm: previous }
    }

    fn ensure() -> c_int {
        THREAD.with(|_| ());
        // SAFETY: the interpreter runs (a Gil exists only after start-up).
        unsafe { (rt().api.PyGILState_Ensure)() }
    }
}

impl Drop for Gil {
    fn drop(&mut self) {
        ENTRY_VM.with(|c| c.set(self.previous_vm));
        // SAFETY: pairs the Ensure of this guard, on the same thread.
        unsafe { (rt().api.PyGILState_Release)(self.state) };
    }
}

/// The VM of the innermost entry from RustPython on this thread, if any.
pub fn entry_vm<'a>() -> Option<&'a VirtualMachine> {
    let vm = ENTRY_VM.with(Cell::get);
    // SAFETY: the pointer was set by a `Gil::enter` still on this thread's
    // stack (it is restored when the guard drops), so the VM outlives
    // every callback that runs inside it.
    (!vm.is_null()).then(|| unsafe { &*vm })
}

/// The GIL released while RustPython code runs inside a callback from
/// CPython, so that other threads can enter CPython meanwhile.
pub struct Unlocked(*mut c_void);

impl Unlocked {
    pub fn release() -> Unlocked {
        // SAFETY: called with the GIL held (inside a callback from CPython).
        Unlocked(unsafe { (rt().api.PyEval_SaveThread)() })
    }
}

impl Drop for Unlocked {
    fn drop(&mut self) {
        // SAFETY: restores the state saved by `new` on this thread.
        unsafe { (rt().api.PyEval_RestoreThread)(self.0) };
    }
}

/// Steals a new reference: releases it when dropped (with the GIL held).
pub struct Owned(pub Obj);

impl Owned {
    /// `None` for NULL (an error is set).
    pub fn new(o: Obj) -> Option<Owned> {
        (!o.is_null()).then_some(Owned(o))
    }

    /// Gives the reference up to the caller.
    pub fn into_raw(self) -> Obj {
        let o = self.0;
        std::mem::forget(self);
        o
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        // SAFETY: we own one reference; the GIL is held wherever an Owned lives.
        unsafe { (rt().api.Py_DecRef)(self.0) };
    }
}
