//! Native stack traces for debug handles: where a handle was opened.
//!
//! Capturing only records return addresses (cheap enough to do for every
//! handle when traces are on); names are looked up when a trace is shown.
//! The lookup does not use the standard library's backtrace symbolizer:
//! that one lists the loaded libraries once, so an extension loaded after
//! the first backtrace of the process stays `<unknown>` forever
//! (rust-lang/backtrace-rs#238), and extensions are exactly what is loaded
//! late. Instead each address goes through `dladdr` (which object, which
//! exported symbol) and, on ELF systems, the object's own symbol table,
//! which also names the `static` functions extensions are made of.

use core::ffi::{c_char, c_int, c_void, CStr};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

/// The return addresses of a captured stack, innermost first, starting at
/// the first frame outside Lichen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stack(Arc<[usize]>);

#[repr(C)]
struct DlInfo {
    fname: *const c_char,
    fbase: *mut c_void,
    sname: *const c_char,
    saddr: *mut c_void,
}

#[allow(non_camel_case_types)]
type _Unwind_Trace_Fn = extern "C" fn(*mut c_void, *mut c_void) -> c_int;

extern "C" {
    fn _Unwind_Backtrace(trace: _Unwind_Trace_Fn, arg: *mut c_void) -> c_int;
    fn _Unwind_GetIP(ctx: *mut c_void) -> usize;
    fn dladdr(addr: *const c_void, info: *mut DlInfo) -> c_int;
}

/// `_URC_NO_REASON` and `_URC_END_OF_STACK`: go on, stop.
const UNWIND_CONTINUE: c_int = 0;
const UNWIND_STOP: c_int = 5;

struct Collect {
    ips: Vec<usize>,
    /// Frames wanted after the leading Lichen frames.
    limit: usize,
    /// Lichen's own object: its frames at the top are not interesting.
    own_base: usize,
    /// Whether a Lichen frame was seen (the unwinder's come before), and
    /// whether the frames below Lichen's are reached.
    seen_lichen: bool,
    collecting: bool,
}

extern "C" fn collect_frame(ctx: *mut c_void, arg: *mut c_void) -> c_int {
    // SAFETY: `arg` is the `Collect` that `capture` passed, alive for the
    // whole unwind; `ctx` is the unwinder's context for this frame.
    let (c, ip) = unsafe { (&mut *(arg as *mut Collect), _Unwind_GetIP(ctx)) };
    if ip == 0 {
        return UNWIND_STOP;
    }
    if !c.collecting {
        if object_base(ip) == c.own_base {
            c.seen_lichen = true;
            return UNWIND_CONTINUE;
        }
        if !c.seen_lichen {
            return UNWIND_CONTINUE;
        }
        c.collecting = true;
    }
    c.ips.push(ip);
    if c.ips.len() >= c.limit {
        UNWIND_STOP
    } else {
        UNWIND_CONTINUE
    }
}

/// The base address of the object containing `addr`, 0 if none.
fn object_base(addr: usize) -> usize {
    let mut info = DlInfo { fname: core::ptr::null(), fbase: core::ptr::null_mut(), sname: core::ptr::null(), saddr: core::ptr::null_mut() };
    // SAFETY: dladdr only reads the loader's tables and fills `info`.
    if unsafe { dladdr(addr as *const c_void, &mut info) } == 0 {
        return 0;
    }
    info.fbase as usize
}

impl Stack {
    /// The current stack, at most `limit` frames, beginning with the caller
    /// of the Lichen function that called this (the extension's frame).
    pub fn capture(limit: usize) -> Stack {
        let mut c = Collect {
            ips: Vec::with_capacity(limit.min(64)),
            limit: limit.max(1),
            own_base: object_base(Stack::capture as *const () as usize),
            seen_lichen: false,
            collecting: false,
        };
        // SAFETY: `collect_frame` matches the callback type and only uses
        // `c`, which outlives the call.
        unsafe { _Unwind_Backtrace(collect_frame, (&mut c as *mut Collect).cast()) };
        Stack(c.ips.into())
    }

    pub fn addresses(&self) -> &[usize] {
        &self.0
    }
}

impl fmt::Display for Stack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, &ip) in self.0.iter().enumerate() {
            // The return address points after the call: look up the call.
            writeln!(f, "{i:4}: {}", describe(ip.saturating_sub(1)))?;
        }
        Ok(())
    }
}

/// `name+0xoff in object` for a code address.
fn describe(addr: usize) -> String {
    let mut info = DlInfo { fname: core::ptr::null(), fbase: core::ptr::null_mut(), sname: core::ptr::null(), saddr: core::ptr::null_mut() };
    // SAFETY: dladdr only reads the loader's tables and fills `info`, a
    // local of the layout it writes; any address may be asked about.
    if unsafe { dladdr(addr as *const c_void, &mut info) } == 0 || info.fname.is_null() {
        return format!("<unknown> at 0x{addr:x}");
    }
    // SAFETY: dladdr's strings stay valid while the object is loaded; they
    // are copied at once.
    let object = unsafe { CStr::from_ptr(info.fname) }.to_string_lossy().into_owned();
    let base = info.fbase as usize;
    let mut best: Option<(String, usize)> = None;
    if let Some(sym) = symbol_table(&object).and_then(|t| t.lookup(addr, base)) {
        best = Some(sym);
    }
    if best.is_none() && !info.sname.is_null() {
        // SAFETY: not NULL (checked above), and like `fname` a string of
        // dladdr's that stays valid while the object is loaded, copied at
        // once.
        let name = unsafe { CStr::from_ptr(info.sname) }.to_string_lossy().into_owned();
        best = Some((name, addr - info.saddr as usize));
    }
    match best {
        Some((name, off)) => format!("{}+0x{off:x} in {object}", demangle(&name)),
        None => format!("<unknown> at {object}+0x{:x}", addr - base),
    }
}

/// A shorter form of a legacy-mangled Rust name (`_ZN4core3fmt5write17h..E`
/// becomes `core::fmt::write`); other names are returned as they are.
fn demangle(name: &str) -> String {
    let Some(mut rest) = name.strip_prefix("_ZN").and_then(|s| s.strip_suffix('E')) else {
        return name.to_string();
    };
    let mut parts = Vec::new();
    while let Some(len_end) = rest.find(|c: char| !c.is_ascii_digit()) {
        let Ok(len) = rest[..len_end].parse::<usize>() else { break };
        let Some(part) = rest.get(len_end..len_end + len) else { break };
        parts.push(part);
        rest = &rest[len_end + len..];
    }
    if !rest.is_empty() || parts.is_empty() {
        return name.to_string();
    }
    if parts.last().is_some_and(|p| p.len() == 17 && p.starts_with('h')) {
        parts.pop();
    }
    parts.join("::")
}

/// Function symbols of one ELF object: (start, size, name), by start.
struct SymbolTable {
    /// Whether addresses are absolute (an executable) or relative to the base.
    absolute: bool,
    funcs: Vec<(usize, usize, String)>,
}

impl SymbolTable {
    fn lookup(&self, addr: usize, base: usize) -> Option<(String, usize)> {
        let key = if self.absolute { addr } else { addr.checked_sub(base)? };
        let i = self.funcs.partition_point(|&(start, _, _)| start <= key);
        let (start, size, name) = self.funcs.get(i.checked_sub(1)?)?;
        (key < start + (*size).max(1)).then(|| (name.clone(), key - start))
    }
}

fn symbol_table(path: &str) -> Option<Arc<SymbolTable>> {
    static TABLES: OnceLock<Mutex<HashMap<String, Option<Arc<SymbolTable>>>>> = OnceLock::new();
    let tables = TABLES.get_or_init(|| Mutex::new(HashMap::new()));
    let mut tables = tables.lock().unwrap_or_else(|e| e.into_inner());
    tables.entry(path.to_string()).or_insert_with(|| elf::read(path).map(Arc::new)).clone()
}

/// Just enough of 64-bit little-endian ELF to read function symbols.
mod elf {
    use super::SymbolTable;
    use std::fs::File;
    use std::io::{Read, Seek, SeekFrom};

    const SHT_SYMTAB: u32 = 2;
    const SHT_DYNSYM: u32 = 11;
    const STT_FUNC: u8 = 2;
    const ET_EXEC: u16 = 2;

    fn u16_at(b: &[u8], o: usize) -> Option<u16> {
        Some(u16::from_le_bytes(b.get(o..o + 2)?.try_into().ok()?))
    }
    fn u32_at(b: &[u8], o: usize) -> Option<u32> {
        Some(u32::from_le_bytes(b.get(o..o + 4)?.try_into().ok()?))
    }
    fn u64_at(b: &[u8], o: usize) -> Option<usize> {
        usize::try_from(u64::from_le_bytes(b.get(o..o + 8)?.try_into().ok()?)).ok()
    }

    fn read_range(f: &mut File, offset: usize, len: usize) -> Option<Vec<u8>> {
        // Symbol tables are megabytes at most; refuse absurd sizes.
        if len > (1 << 30) {
            return None;
        }
        let mut buf = vec![0; len];
        f.seek(SeekFrom::Start(offset as u64)).ok()?;
        f.read_exact(&mut buf).ok()?;
        Some(buf)
    }

    struct Section {
        kind: u32,
        offset: usize,
        size: usize,
        link: usize,
    }

    pub(super) fn read(path: &str) -> Option<SymbolTable> {
        let mut f = File::open(path).ok()?;
        let header = read_range(&mut f, 0, 64)?;
        // 64-bit, little-endian ELF only.
        if header.get(..6)? != b"\x7fELF\x02\x01" {
            return None;
        }
        let absolute = u16_at(&header, 0x10)? == ET_EXEC;
        let shoff = u64_at(&header, 0x28)?;
        let shentsize = usize::from(u16_at(&header, 0x3A)?);
        let shnum = usize::from(u16_at(&header, 0x3C)?);
        if shentsize < 64 {
            return None;
        }
        let raw = read_range(&mut f, shoff, shentsize * shnum)?;
        let sections: Vec<Section> = (0..shnum)
            .map(|i| {
                let s = &raw[i * shentsize..];
                Some(Section {
                    kind: u32_at(s, 4)?,
                    offset: u64_at(s, 24)?,
                    size: u64_at(s, 32)?,
                    link: u32_at(s, 40)? as usize,
                })
            })
            .collect::<Option<_>>()?;
        // The full table when the object has one, else the dynamic one.
        let symtab = sections
            .iter()
            .find(|s| s.kind == SHT_SYMTAB)
            .or_else(|| sections.iter().find(|s| s.kind == SHT_DYNSYM))?;
        let strtab = sections.get(symtab.link)?;
        let syms = read_range(&mut f, symtab.offset, symtab.size)?;
        let strings = read_range(&mut f, strtab.offset, strtab.size)?;
        let mut funcs = Vec::new();
        for sym in syms.chunks_exact(24) {
            if sym[4] & 0xf != STT_FUNC {
                continue;
            }
            let (Some(name_off), Some(value), Some(size)) = (u32_at(sym, 0), u64_at(sym, 8), u64_at(sym, 16)) else {
                continue;
            };
            if value == 0 {
                continue;
            }
            let name_bytes = strings.get(name_off as usize..).unwrap_or_default();
            let end = name_bytes.iter().position(|&b| b == 0).unwrap_or(name_bytes.len());
            let name = String::from_utf8_lossy(&name_bytes[..end]).into_owned();
            funcs.push((value, size, name));
        }
        funcs.sort_by_key(|&(start, _, _)| start);
        Some(SymbolTable { absolute, funcs })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[inline(never)]
    fn lichen_stack_test_frame() -> Stack {
        Stack::capture(8)
    }

    #[test]
    fn demangles_legacy_rust_names() {
        assert_eq!(demangle("_ZN4core3fmt5write17h0123456789abcdefE"), "core::fmt::write");
        assert_eq!(demangle("leak_impl"), "leak_impl");
    }

    #[test]
    fn captures_and_names_frames() {
        // In a test binary everything is "Lichen", so the leading frames are
        // skipped until the test harness; capture must still work.
        let s = lichen_stack_test_frame();
        let _ = s.to_string();
    }
}
