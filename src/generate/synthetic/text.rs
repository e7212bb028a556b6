//! Writing values straight into the output buffer, without formatting machinery: numbers,
//! addresses and optional text. Synthetic output is hundreds of megabytes; this is its hot path.

/// An address of a record, or none (`-`).
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Addr {
    #[default]
    None,
    V4(u32),
    V6([u16; 8]),
}

/// A decimal number.
pub(crate) fn push_u64(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// A signed decimal number.
pub(crate) fn push_i64(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    push_u64(out, v.unsigned_abs());
}

/// An address in its canonical text form, or `-`.
pub(crate) fn push_addr(out: &mut Vec<u8>, a: Addr) {
    match a {
        Addr::None => out.push(b'-'),
        Addr::V4(ip) => {
            for (i, octet) in ip.to_be_bytes().iter().enumerate() {
                if i > 0 {
                    out.push(b'.');
                }
                push_u64(out, u64::from(*octet));
            }
        }
        Addr::V6(groups) => {
            // Every group is non-zero, so the full form is also the canonical one.
            for (i, g) in groups.iter().enumerate() {
                if i > 0 {
                    out.push(b':');
                }
                let mut started = false;
                for shift in [12u16, 8, 4, 0] {
                    let nibble = (g >> shift) & 0xf;
                    if nibble != 0 || started || shift == 0 {
                        started = true;
                        out.push(b"0123456789abcdef"[usize::from(nibble)]);
                    }
                }
            }
        }
    }
}

/// Text, or `-` for none.
pub(crate) fn push_opt(out: &mut Vec<u8>, v: Option<&str>) {
    out.extend_from_slice(v.unwrap_or("-").as_bytes());
}

/// Text as it is.
pub(crate) fn push_str(out: &mut Vec<u8>, v: &str) {
    out.extend_from_slice(v.as_bytes());
}
