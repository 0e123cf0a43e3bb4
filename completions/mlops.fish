complete --keep-order --exclusive --command mlops --arguments "(COMPLETE=fish mlops -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
