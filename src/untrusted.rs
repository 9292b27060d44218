//! Text that comes from outside (server values, file names, error messages of upstreams) made
//! safe to print: one function ([`printable`]) applied where such text enters a message.
//!
//! A terminal obeys escape sequences (ESC), a log reader trusts line breaks, and XML refuses
//! NUL, most control characters and the noncharacters U+FFFE and U+FFFF. Each of these is
//! written as a visible escape (`\u{1b}`), so the text stays readable and cannot act.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal, a log line or an XML report as it is: control
/// characters (C0, DEL, C1, line breaks included), the noncharacters U+FFFE and U+FFFF (and
/// the other noncharacters), and the bidirectional overrides that reorder what is shown.
pub fn is_unsafe(c: char) -> bool {
    let n = c as u32;
    c.is_control()
        || (0xFDD0..=0xFDEF).contains(&n)
        || (n & 0xFFFE) == 0xFFFE
        || matches!(n, 0x200E | 0x200F | 0x2028 | 0x2029 | 0x202A..=0x202E | 0x2066..=0x2069)
}

/// Whether `text` is printable ASCII alone (space to `~`): one scan without a branch per byte,
/// so that it runs on whole vectors.
pub(crate) fn is_printable_ascii(text: &str) -> bool {
    text.bytes()
        .fold(true, |printable, b| printable & (b' '..=b'~').contains(&b))
}

/// `text` with every unsafe character ([`is_unsafe`]) written as `\u{XX}`; text without one
/// is returned as it is, without copying.
pub fn printable(text: &str) -> Cow<'_, str> {
    // Printable ASCII is safe, and most text is nothing else.
    if is_printable_ascii(text) || !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_nul_and_line_breaks_become_visible() {
        assert_eq!(
            printable("a\u{1b}[31mred\0\nb\u{7f}"),
            "a\\u{1b}[31mred\\u{0}\\u{a}b\\u{7f}"
        );
    }

    #[test]
    fn xml_noncharacters_and_bidi_overrides_become_visible() {
        assert_eq!(
            printable("m\u{fffe}\u{ffff}\u{202e}x"),
            "m\\u{fffe}\\u{ffff}\\u{202e}x"
        );
    }

    #[test]
    fn ordinary_text_is_borrowed() {
        for text in ["plain", "中文 and é", "tab-free: ok", ""] {
            assert!(matches!(printable(text), Cow::Borrowed(t) if t == text));
        }
    }
}
