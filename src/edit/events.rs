//! A small safe wrapper over libyaml's event parser (`unsafe-libyaml`).
//!
//! Why libyaml and not another parser: `serde_yaml`, which does the engine's
//! self-check, is built on this very parser, and Helm's go-yaml v2 is a
//! line-by-line port of libyaml. Locating the value with the same scanner
//! means the byte spans we splice are the spans every one of those readers
//! sees, and it adds no crate to the build (serde_yaml already pulls it in).
//! Its marks are byte offsets into the input, which is what splicing needs.
//!
//! All `unsafe` of the engine is in this file: the parser lives in a `Box`
//! (libyaml keeps pointers into the input, never into itself, but we never
//! move it anyway), the input slice outlives it, and every event is copied
//! into owned Rust values and freed before the next one is read.

use std::mem::MaybeUninit;
use unsafe_libyaml as sys;

/// How a scalar was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

/// One parse event with its byte span in the input. For nodes, the span
/// starts at the node's properties (anchor, tag), not at its content.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub kind: Kind,
    pub anchor: Option<String>,
    pub tag: Option<String>,
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    StreamStart,
    StreamEnd,
    DocumentStart,
    DocumentEnd { explicit: bool },
    Alias(String),
    Scalar { value: String, style: Style },
    SequenceStart { flow: bool },
    SequenceEnd,
    MappingStart { flow: bool },
    MappingEnd,
}

/// libyaml's own complaint, with the 1-based line it points at.
#[derive(Debug, Clone)]
pub(crate) struct SyntaxError {
    pub line: usize,
    pub message: String,
}

/// Upper bound on events, so a hostile input cannot make us allocate
/// without limit (a values file has a few hundred).
const MAX_EVENTS: usize = 1_000_000;

/// Parses the whole stream into events (one pass, no alias expansion).
pub(crate) fn parse(input: &[u8]) -> Result<Vec<Event>, SyntaxError> {
    let mut parser = Parser::new(input);
    let mut events = Vec::new();
    loop {
        let event = parser.next()?;
        let done = matches!(event.kind, Kind::StreamEnd);
        events.push(event);
        if done {
            return Ok(events);
        }
        if events.len() > MAX_EVENTS {
            return Err(SyntaxError {
                line: 1,
                message: "the file is too large to check".into(),
            });
        }
    }
}

struct Parser<'input> {
    sys: Box<MaybeUninit<sys::yaml_parser_t>>,
    _input: &'input [u8],
}

impl<'input> Parser<'input> {
    fn new(input: &'input [u8]) -> Self {
        let mut sys = Box::new(MaybeUninit::<sys::yaml_parser_t>::uninit());
        // SAFETY: `yaml_parser_initialize` fully initialises the struct (it
        // memsets it first); the input pointer stays valid for 'input, which
        // outlives the parser.
        unsafe {
            let p = sys.as_mut_ptr();
            // Initialisation only fails on allocation failure, which aborts
            // in Rust anyway; a failed init leaves `error` set and the first
            // `next` reports it.
            let _ = sys::yaml_parser_initialize(p).ok;
            sys::yaml_parser_set_encoding(p, sys::YAML_UTF8_ENCODING);
            sys::yaml_parser_set_input_string(p, input.as_ptr(), input.len() as u64);
        }
        Parser { sys, _input: input }
    }

    fn next(&mut self) -> Result<Event, SyntaxError> {
        let mut raw = MaybeUninit::<sys::yaml_event_t>::uninit();
        // SAFETY: the parser was initialised in `new`; a successful
        // `yaml_parser_parse` initialises the event, which we copy out of
        // and then free exactly once.
        unsafe {
            let p = self.sys.as_mut_ptr();
            let failed_before = (&*p).error != sys::YAML_NO_ERROR;
            if failed_before || sys::yaml_parser_parse(p, raw.as_mut_ptr()).fail {
                return Err(syntax_error(p));
            }
            let ev = raw.as_mut_ptr();
            let out = convert(&*ev);
            sys::yaml_event_delete(ev);
            Ok(out)
        }
    }
}

impl Drop for Parser<'_> {
    fn drop(&mut self) {
        // SAFETY: initialised in `new`, deleted once here.
        unsafe { sys::yaml_parser_delete(self.sys.as_mut_ptr()) }
    }
}

unsafe fn syntax_error(p: *const sys::yaml_parser_t) -> SyntaxError {
    // SAFETY: `p` points at the live parser; no other reference exists now.
    let parser = unsafe { &*p };
    let problem = unsafe { c_text(parser.problem as *const u8) }.unwrap_or_default();
    let context = unsafe { c_text(parser.context as *const u8) };
    let message = match context {
        Some(c) if !c.is_empty() => format!("{c}: {problem}"),
        _ if problem.is_empty() => "invalid YAML".to_string(),
        _ => problem,
    };
    SyntaxError {
        line: parser.problem_mark.line as usize + 1,
        message,
    }
}

/// Copies a NUL-terminated libyaml string (anchor, tag, message).
unsafe fn c_text(ptr: *const u8) -> Option<String> {
    if ptr.is_null() {
        return None;
    }
    // SAFETY: libyaml hands out NUL-terminated strings.
    let s = unsafe { std::ffi::CStr::from_ptr(ptr as *const std::ffi::c_char) };
    Some(String::from_utf8_lossy(s.to_bytes()).into_owned())
}

unsafe fn convert(ev: &sys::yaml_event_t) -> Event {
    let (start, end) = (ev.start_mark.index as usize, ev.end_mark.index as usize);
    let mut anchor = None;
    let mut tag = None;
    // SAFETY (all union reads): each arm reads the member that libyaml
    // fills for that event type.
    let kind = unsafe {
        match ev.type_ {
            sys::YAML_STREAM_START_EVENT => Kind::StreamStart,
            sys::YAML_DOCUMENT_START_EVENT => Kind::DocumentStart,
            sys::YAML_DOCUMENT_END_EVENT => Kind::DocumentEnd {
                explicit: !ev.data.document_end.implicit,
            },
            sys::YAML_ALIAS_EVENT => Kind::Alias(c_text(ev.data.alias.anchor).unwrap_or_default()),
            sys::YAML_SCALAR_EVENT => {
                let s = &ev.data.scalar;
                anchor = c_text(s.anchor);
                tag = c_text(s.tag);
                let bytes = if s.value.is_null() {
                    &[][..]
                } else {
                    std::slice::from_raw_parts(s.value, s.length as usize)
                };
                let style = match s.style {
                    sys::YAML_SINGLE_QUOTED_SCALAR_STYLE => Style::SingleQuoted,
                    sys::YAML_DOUBLE_QUOTED_SCALAR_STYLE => Style::DoubleQuoted,
                    sys::YAML_LITERAL_SCALAR_STYLE => Style::Literal,
                    sys::YAML_FOLDED_SCALAR_STYLE => Style::Folded,
                    _ => Style::Plain,
                };
                Kind::Scalar {
                    value: String::from_utf8_lossy(bytes).into_owned(),
                    style,
                }
            }
            sys::YAML_SEQUENCE_START_EVENT => {
                let s = &ev.data.sequence_start;
                anchor = c_text(s.anchor);
                tag = c_text(s.tag);
                Kind::SequenceStart {
                    flow: s.style == sys::YAML_FLOW_SEQUENCE_STYLE,
                }
            }
            sys::YAML_SEQUENCE_END_EVENT => Kind::SequenceEnd,
            sys::YAML_MAPPING_START_EVENT => {
                let m = &ev.data.mapping_start;
                anchor = c_text(m.anchor);
                tag = c_text(m.tag);
                Kind::MappingStart {
                    flow: m.style == sys::YAML_FLOW_MAPPING_STYLE,
                }
            }
            sys::YAML_MAPPING_END_EVENT => Kind::MappingEnd,
            _ => Kind::StreamEnd,
        }
    };
    Event {
        kind,
        anchor,
        tag,
        start,
        end,
    }
}
