//! Running a configured command line (`GIT_SSH_COMMAND`, `core.sshCommand`)
//! the way git does, through `sh -c 'LINE "$@"'`, except when the shell
//! would do nothing but split it at blanks: then its words are run
//! directly, with the same result and one process less (a `sh` start is
//! about 1 ms here, on the way to every SSH connection).
//!
//! "Nothing but split" is decided conservatively: none of the characters
//! git itself treats as needing a shell (run-command.c), nor `{`, `}`,
//! `!`, and a first word that is not a shell keyword or builtin.

use std::process::Command;

/// git's characters that need a shell, and the ones that begin a group
/// or negate a command.
const SPECIAL: &[char] = &[
    '|', '&', ';', '<', '>', '(', ')', '$', '`', '\\', '"', '\'', '*', '?', '[', '#', '~', '=',
    '%', '{', '}', '!', '\n', '\r',
];

/// Words a shell gives a meaning of its own as a command's first word.
const SHELL_WORDS: &[&str] = &[
    ".", ":", "alias", "bg", "break", "builtin", "case", "cd", "command", "continue", "do", "done",
    "echo", "elif", "else", "esac", "eval", "exec", "exit", "export", "false", "fc", "fg", "fi",
    "for", "getopts", "hash", "if", "in", "jobs", "kill", "local", "newgrp", "printf", "pwd",
    "read", "readonly", "return", "set", "shift", "test", "then", "time", "times", "trap", "true",
    "type", "ulimit", "umask", "unalias", "unset", "until", "wait", "while",
];

/// The command that runs `line` with the arguments added to it later.
pub(super) fn command(line: &str) -> Command {
    match plain_words(line) {
        Some((program, args)) => {
            let mut command = Command::new(program);
            command.args(args);
            command
        }
        None => {
            let mut command = Command::new("/bin/sh");
            command.arg("-c").arg(format!("{line} \"$@\"")).arg(line);
            command
        }
    }
}

/// The program and its arguments when the shell would only split `line`
/// at blanks.
fn plain_words(line: &str) -> Option<(&str, Vec<&str>)> {
    if line.contains(SPECIAL) {
        return None;
    }
    let mut words = line.split([' ', '\t']).filter(|w| !w.is_empty());
    let program = words.next()?;
    (!SHELL_WORDS.contains(&program)).then(|| (program, words.collect()))
}

#[cfg(test)]
mod tests {
    use super::plain_words;

    #[test]
    fn only_lines_the_shell_would_merely_split_skip_it() {
        assert_eq!(
            plain_words("ssh -F /home/u/.ssh/config  -o\tBatchMode=yes"),
            None,
            "= asks for the shell, as in git"
        );
        assert_eq!(
            plain_words("ssh -i /run/secrets/deploy-key -p 2222"),
            Some(("ssh", vec!["-i", "/run/secrets/deploy-key", "-p", "2222"]))
        );
        assert_eq!(
            plain_words("/usr/bin/ssh  -4\t-v"),
            Some(("/usr/bin/ssh", vec!["-4", "-v"]))
        );
        for line in [
            "ssh -i ~/.ssh/key",
            "ssh -i \"$KEY\"",
            "ssh -i 'my key'",
            "exec ssh",
            "command ssh -v",
            "FOO=1 ssh",
            "ssh; rm x",
            "ssh -o ProxyCommand=nc\\ x",
            "{ ssh; }",
            "! ssh",
            "ssh # comment",
            "ssh *",
            "",
            "   ",
        ] {
            assert_eq!(plain_words(line), None, "{line:?}");
        }
    }
}
