//! `--clone URL`: a temporary bare repository for CI (built in a separate step).

use super::{Options, Workspace};
use crate::error::{self, Result};

impl Workspace {
    /// Clones `url` into a temporary bare repository.
    pub fn clone_temp(url: &str, options: Options) -> Result<Workspace> {
        let _ = (url, options);
        Err(error::git(
            "--clone is not available in this version of mlops",
        ))
    }
}
