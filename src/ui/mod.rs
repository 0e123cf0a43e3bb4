//! All terminal output goes through [`Ui`]: where it goes (stdout for
//! results, stderr for people), whether it is coloured, how chatty it is.
//! Nothing else in the crate calls `println!`.

pub mod diff;
pub(crate) mod progress;
pub mod prompt;
pub mod table;

use std::io::{IsTerminal, Write};

use console::Style;
use serde::Serialize;

use crate::cli::{ColorChoice, OutputArgs, OutputFormat};
use crate::error::{Error, Kind, Result};

/// How much to say on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

/// The one output object, built once from the global options.
#[derive(Debug, Clone)]
pub struct Ui {
    pub output: OutputFormat,
    pub verbosity: Verbosity,
    /// Colour for stdout (diffs, tables).
    pub color_out: bool,
    /// Colour for stderr (warnings, errors).
    pub color_err: bool,
}

impl Ui {
    pub fn new(args: &OutputArgs) -> Self {
        let verbosity = if args.quiet {
            Verbosity::Quiet
        } else if args.verbose {
            Verbosity::Verbose
        } else {
            Verbosity::Normal
        };
        Ui {
            output: args.output,
            verbosity,
            color_out: wants_color(args.color, std::io::stdout().is_terminal()),
            color_err: wants_color(args.color, std::io::stderr().is_terminal()),
        }
    }

    pub fn json(&self) -> bool {
        self.output == OutputFormat::Json
    }

    /// Whether a question may be asked: stdin and stderr are terminals.
    pub fn interactive(&self) -> bool {
        std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
    }

    /// A progress or status line for people, on stderr.
    pub fn info(&self, msg: impl AsRef<str>) {
        if self.verbosity >= Verbosity::Normal {
            crate::stderr::line(format_args!("{}", msg.as_ref()));
        }
    }

    /// A step explained only with `--verbose`.
    pub fn verbose(&self, msg: impl AsRef<str>) {
        if self.verbosity >= Verbosity::Verbose {
            crate::stderr::line(format_args!(
                "{}",
                self.err_style(Style::new().dim(), msg.as_ref())
            ));
        }
    }

    /// A warning, on stderr, even with `--quiet`.
    pub fn warn(&self, msg: impl AsRef<str>) {
        let label = self.err_style(Style::new().yellow().bold(), "warning:");
        crate::stderr::line(format_args!("{label} {}", msg.as_ref()));
    }

    /// Text results on stdout (suppressed in JSON mode, where stdout holds
    /// only the JSON document).
    pub fn out(&self, text: impl AsRef<str>) -> Result<()> {
        if self.json() {
            return Ok(());
        }
        write_stdout(text.as_ref().as_bytes())
    }

    /// Human text that belongs on stdout in text mode, and on stderr in JSON
    /// mode (e.g. the diff), so people still see it.
    pub fn show(&self, text: impl AsRef<str>) -> Result<()> {
        if self.json() {
            if self.verbosity >= Verbosity::Normal {
                crate::stderr::text(format_args!("{}", text.as_ref()));
            }
            Ok(())
        } else if self.verbosity >= Verbosity::Normal {
            write_stdout(text.as_ref().as_bytes())
        } else {
            Ok(())
        }
    }

    /// The JSON document, on stdout.
    pub fn emit_json<T: Serialize>(&self, value: &T) -> Result<()> {
        // Written as it is encoded: status's 60,000 rows are 24 MB of
        // text, which as one string (grown by doubling) was most of the
        // run's memory.
        let mut out = std::io::BufWriter::with_capacity(64 << 10, std::io::stdout().lock());
        serde_json::to_writer_pretty(&mut out, value).map_err(json_error)?;
        out.write_all(b"\n")?;
        out.flush()?;
        Ok(())
    }

    /// A JSON array on stdout, written element by element as `fill` hands
    /// them to the function it gets, so a long listing is never held
    /// whole (the same text as [`Ui::emit_json`] of the list).
    pub fn emit_json_seq<T: Serialize, R>(
        &self,
        fill: impl FnOnce(&mut dyn FnMut(&T) -> Result<()>) -> Result<R>,
    ) -> Result<R> {
        use serde::ser::{SerializeSeq, Serializer};
        let out = std::io::BufWriter::with_capacity(64 << 10, std::io::stdout().lock());
        let mut ser = serde_json::Serializer::pretty(out);
        let mut seq = (&mut ser).serialize_seq(None).map_err(json_error)?;
        let result = {
            let mut each = |item: &T| seq.serialize_element(item).map_err(json_error);
            fill(&mut each)?
        };
        seq.end().map_err(json_error)?;
        let mut out = ser.into_inner();
        out.write_all(b"\n")?;
        out.flush()?;
        Ok(result)
    }

    /// Prints an error the way the contract wants: JSON on stdout in JSON
    /// mode, else "error: …", "Caused by: …" and "Hint: …" on stderr.
    pub fn error(&self, err: &Error) {
        if err.kind == Kind::BrokenPipe {
            return;
        }
        let mut text = err.message.clone();
        for cause in err.causes() {
            if !text.contains(&cause) {
                text.push_str(": ");
                text.push_str(&cause);
            }
        }
        if self.json() {
            let doc = serde_json::json!({
                "error": text,
                "hints": err.hints,
                "exit_code": err.kind.exit_code(),
            });
            let _ = self.emit_json(&doc);
        }
        if err.kind == Kind::Declined {
            crate::stderr::line(format_args!("{}", err.message));
            return;
        }
        let label = self.err_style(Style::new().red().bold(), "error:");
        crate::stderr::line(format_args!("{label} {}", err.message));
        for cause in err.causes() {
            crate::stderr::line(format_args!("Caused by: {cause}"));
        }
        for hint in &err.hints {
            let label = self.err_style(Style::new().cyan(), "Hint:");
            crate::stderr::line(format_args!("{label} {hint}"));
        }
    }

    /// Applies `style` to stdout text when colour is on.
    pub fn out_style(&self, style: Style, text: &str) -> String {
        if self.color_out {
            style.force_styling(true).apply_to(text).to_string()
        } else {
            text.to_string()
        }
    }

    fn err_style(&self, style: Style, text: &str) -> String {
        if self.color_err {
            style.force_styling(true).apply_to(text).to_string()
        } else {
            text.to_string()
        }
    }
}

/// `auto` colours only a terminal, and never when NO_COLOR is set to
/// anything non-empty (no-color.org).
fn wants_color(choice: ColorChoice, is_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// Writes to stdout; a closed pipe becomes the quiet `BrokenPipe` kind.
fn json_error(e: serde_json::Error) -> Error {
    match e.is_io() {
        true => Error::from(std::io::Error::from(e)),
        false => crate::error::failure("could not encode JSON").caused_by(e),
    }
}

fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()?;
    Ok(())
}
