//! Finding and initialising a universal extension binary. Host-neutral: the
//! host turns the returned module definition into a module object.

use lichen_abi::{HPyContext, HPyModuleDef, HPY_ABI_VERSION, HPY_ABI_VERSION_MINOR};
use std::fmt;
use std::path::Path;

/// How an extension's context checks and reports what it is given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum Mode {
    Universal = 0,
    Debug = 1,
    Trace = 2,
}

impl Mode {
    pub const ALL: [(&'static str, Mode); 3] = [
        ("MODE_UNIVERSAL", Mode::Universal),
        ("MODE_DEBUG", Mode::Debug),
        ("MODE_TRACE", Mode::Trace),
    ];

    pub fn from_i32(v: i32) -> Option<Mode> {
        Self::ALL.iter().map(|&(_, m)| m).find(|&m| m as i32 == v)
    }

    fn from_word(word: &str) -> Option<Mode> {
        match word.trim().to_ascii_lowercase().as_str() {
            "universal" => Some(Mode::Universal),
            "debug" => Some(Mode::Debug),
            "trace" => Some(Mode::Trace),
            _ => None,
        }
    }

    /// The mode the `HPY` environment variable asks for `module`:
    /// either one mode for all (`HPY=debug`) or a per-module list
    /// (`HPY=foo:debug,bar:trace`); modules not listed get universal mode.
    /// `Err` carries the unparseable value.
    pub fn from_env_value(module: &str, value: &str) -> Result<Mode, String> {
        let bad = || Err(format!("invalid HPy mode: {value}"));
        if !value.contains(':') {
            return Mode::from_word(value).map_or_else(bad, Ok);
        }
        for entry in value.split(',') {
            let Some((name, mode)) = entry.split_once(':') else { return bad() };
            if name.trim() == module {
                return Mode::from_word(mode).map_or_else(bad, Ok);
            }
        }
        Ok(Mode::Universal)
    }
}

/// The line printed for an import when `HPY_LOG` is set, as HPy prints it.
pub fn log_line(name: &str, mode: Mode) -> String {
    let how = match mode {
        Mode::Universal => "",
        Mode::Debug => " with a debug context",
        Mode::Trace => " with a trace context",
    };
    format!("Loading '{name}' in HPy universal mode{how}\n")
}

/// Why an extension could not be loaded; `kind` picks the Python exception.
#[derive(Debug)]
pub struct LoadError {
    pub kind: LoadErrorKind,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadErrorKind {
    /// The file is missing or not a loadable shared library.
    NotALibrary,
    /// A required symbol is absent (not an HPy extension, or another name).
    MissingSymbol,
    /// The extension needs an ABI version this runtime does not provide,
    /// or its file name carries a different ABI tag.
    AbiMismatch,
    /// The init function returned NULL or a malformed definition.
    BadDefinition,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for LoadError {}

/// The part of a dotted module name that the init symbols are named after,
/// with '-' replaced by '_' (as CPython and HPy do). Must be ASCII.
pub fn short_name(full_name: &str) -> Result<String, String> {
    let short = full_name.rsplit('.').next().unwrap_or(full_name);
    if !short.is_ascii() {
        return Err(format!("HPy extension module name must be ASCII, got '{short}'"));
    }
    Ok(short.replace('-', "_"))
}

/// A loaded universal binary whose context has been set. The library stays
/// mapped for the life of the process: the module's methods point into it.
pub struct Extension {
    pub short_name: String,
    pub def: *mut HPyModuleDef,
}

type VersionFn = unsafe extern "C" fn() -> u32;
type InitCtxFn = unsafe extern "C" fn(*mut HPyContext);
type InitFn = unsafe extern "C" fn() -> *mut HPyModuleDef;

struct Library {
    lib: libloading::Library,
    path: String,
}

impl Library {
    fn open(path: &Path) -> Result<Library, LoadError> {
        let shown = path.display().to_string();
        // SAFETY: loading a library runs its initialisers; that is what
        // importing an extension means, and the caller asked for this file.
        let lib = unsafe { libloading::os::unix::Library::open(Some(path), libc_rtld_now()) }
            .map_err(|e| LoadError {
                kind: LoadErrorKind::NotALibrary,
                message: format!(
                    "Error during loading of the HPy extension module at path '{shown}': {e}"
                ),
            })?;
        Ok(Library { lib: lib.into(), path: shown })
    }

    /// # Safety
    /// `T` must be the true type of the symbol.
    unsafe fn get<T: Copy>(&self, name: &str) -> Result<T, LoadError> {
        // SAFETY: `get`'s contract: `T` is the true type of the symbol, so
        // reading it as a `T` (a function pointer) is sound; the library stays
        // loaded (it is never closed after a load).
        unsafe {
            self.lib.get::<T>(name.as_bytes()).map(|s| *s).map_err(|e| LoadError {
                kind: LoadErrorKind::MissingSymbol,
                message: format!(
                    "HPy extension module at path '{}' has no symbol '{name}': \
                 is it an HPy universal extension named like its file? ({e})",
                    self.path
                ),
            })
        }
    }
}

fn libc_rtld_now() -> core::ffi::c_int {
    2 // RTLD_NOW on Linux and macOS
}

/// Checks the `.hpyN` tag of the file name against the extension's major
/// version. The messages are HPy's own, word for word: its test suite
/// compares them.
fn check_abi_tag(short: &str, path: &str, major: u32, minor: u32) -> Result<(), LoadError> {
    let err = |message| Err(LoadError { kind: LoadErrorKind::AbiMismatch, message });
    let prefix = format!("HPy extension module '{short}' at path '{path}'");
    match file_abi_tag(path) {
        Some(tag) if tag == major => Ok(()),
        Some(tag) => err(format!(
            "{prefix}: mismatch between the HPy ABI tag encoded in the filename and the major \
             version requested by the HPy extension itself. Major version tag parsed from \
             filename: {tag}. Requested version: {major}.{minor}."
        )),
        None => err(format!(
            "{prefix}: could not find HPy ABI tag encoded in the filename. The extension claims \
             to be compiled with HPy ABI version: {major}.{minor}."
        )),
    }
}

/// The N of the last `.hpyN` in the file name, if it has one.
fn file_abi_tag(path: &str) -> Option<u32> {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let pos = name.rfind(".hpy")?;
    let digits: String = name[pos + 4..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Opens `path`, checks the ABI versions the extension requires, hands it
/// `ctx` and returns its module definition.
///
/// # Safety
/// `ctx` must point to a context that outlives the process's use of the
/// extension. Loading runs foreign code.
pub unsafe fn load_extension(
    full_name: &str,
    path: &Path,
    ctx: *mut HPyContext,
) -> Result<Extension, LoadError> {
    // SAFETY: `load_extension`'s contract: running the extension's foreign code
    // is the point; each symbol is read with HPy's type for it (`VersionFn`,
    // `InitCtxFn`, `InitFn`), and `ctx` outlives the extension's use of it, as
    // `HPyInitGlobalContext_` requires; the library is leaked so its code stays
    // mapped.
    unsafe {
        let short = short_name(full_name)
            .map_err(|message| LoadError { kind: LoadErrorKind::BadDefinition, message })?;
        let lib = Library::open(path)?;
        let major: VersionFn = lib.get(&format!("get_required_hpy_major_version_{short}"))?;
        let minor: VersionFn = lib.get(&format!("get_required_hpy_minor_version_{short}"))?;
        let (major, minor) = (major(), minor());
        if major != HPY_ABI_VERSION || minor > HPY_ABI_VERSION_MINOR {
            return Err(LoadError {
                kind: LoadErrorKind::AbiMismatch,
                message: format!(
                    "HPy extension module '{short}' requires unsupported version of the \
                 HPy runtime. Requested version: {major}.{minor}. Current HPy version: \
                 {HPY_ABI_VERSION}.{HPY_ABI_VERSION_MINOR}."
                ),
            });
        }
        check_abi_tag(&short, &lib.path, major, minor)?;
        let init_ctx: InitCtxFn = lib.get(&format!("HPyInitGlobalContext_{short}"))?;
        let init: InitFn = lib.get(&format!("HPyInit_{short}"))?;
        init_ctx(ctx);
        let def = init();
        if def.is_null() {
            return Err(LoadError {
                kind: LoadErrorKind::BadDefinition,
                message: format!(
                    "HPy extension module '{short}' at path '{}': HPyInit_{short} returned NULL",
                    lib.path
                ),
            });
        }
        std::mem::forget(lib);
        Ok(Extension { short_name: short, def })
    }
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_modes() {
        assert_eq!(Mode::from_env_value("m", "debug"), Ok(Mode::Debug));
        assert_eq!(Mode::from_env_value("m", "TRACE"), Ok(Mode::Trace));
        assert_eq!(Mode::from_env_value("m", "a:debug,m:trace"), Ok(Mode::Trace));
        assert_eq!(Mode::from_env_value("m", "a:debug"), Ok(Mode::Universal));
        assert!(Mode::from_env_value("m", "fast").is_err());
        assert!(Mode::from_env_value("m", "m:fast").is_err());
    }

    #[test]
    fn short_names() {
        assert_eq!(short_name("pkg.sub.my-ext").unwrap(), "my_ext");
        assert_eq!(short_name("plain").unwrap(), "plain");
        assert!(short_name("pkg.é").is_err());
    }

    #[test]
    fn abi_tags() {
        assert!(check_abi_tag("m", "/x/m.hpy0.so", 0, 0).is_ok());
        assert!(check_abi_tag("m", "/x/m.hpy1.so", 0, 0).is_err());
        assert!(check_abi_tag("m", "/x/m.so", 0, 0).is_err());
        let e = check_abi_tag("mytest", "/t/mytest.hpy999.so", 0, 0).err().unwrap();
        assert_eq!(
            e.message,
            "HPy extension module 'mytest' at path '/t/mytest.hpy999.so': mismatch between the \
             HPy ABI tag encoded in the filename and the major version requested by the HPy \
             extension itself. Major version tag parsed from filename: 999. Requested version: 0.0."
        );
        let e = check_abi_tag("mytest", "/t/mytest.so", 0, 0).err().unwrap();
        assert_eq!(
            e.message,
            "HPy extension module 'mytest' at path '/t/mytest.so': could not find HPy ABI tag \
             encoded in the filename. The extension claims to be compiled with HPy ABI version: 0.0."
        );
    }

    #[test]
    fn not_a_library() {
        let err = unsafe {
            load_extension("m", Path::new("/nonexistent/m.hpy0.so"), core::ptr::null_mut())
        }
        .err()
        .unwrap();
        assert_eq!(err.kind, LoadErrorKind::NotALibrary);
        assert!(err.message.contains("/nonexistent/m.hpy0.so"));
    }
}
