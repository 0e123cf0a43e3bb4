//! The examples shown after each command's help (and in its man page).

pub(super) const TOP: &str = "\
Examples:
  mlops autoscale enable --env test jukebox
  mlops autoscale enable --autoscaler keda test/jukebox
  mlops set --env test jukebox version=4562a17c17
  mlops log --env prod jukebox
  mlops autoscale status
  mlops demo";

pub(super) const AUTOSCALE: &str = "\
Examples:
  mlops autoscale enable --env test jukebox
  mlops autoscale enable --autoscaler keda test/jukebox prod/jukebox-ui
  mlops autoscale enable            # on a terminal: pick the environment and models
  mlops autoscale status --env test
  mlops autoscale disable --env test jukebox --clone https://git.example.com/team/mlops-gitops.git --yes";

pub(super) const ENABLE: &str = "\
Examples:
  # The workshop step: autoscale the jukebox model in test (HPA)
  mlops autoscale enable --env test jukebox

  # KEDA instead, for two models in different environments, in one commit
  mlops autoscale enable --autoscaler keda test/jukebox prod/jukebox-ui

  # Both models in test and prod, in one commit, without asking
  mlops autoscale enable --env test --env prod jukebox jukebox-ui --yes

  # Look first
  mlops autoscale enable --env test jukebox --dry-run

  # In CI (Tekton, GitHub Actions): a temporary clone, token from the environment
  MLOPS_GIT_USERNAME=bot MLOPS_GIT_TOKEN=*** \\
    mlops autoscale enable --env test jukebox --clone https://git.example.com/team/mlops-gitops.git --yes";

pub(super) const DISABLE: &str = "\
Examples:
  mlops autoscale disable --env test jukebox
  mlops autoscale disable prod/jukebox --branch jukebox-no-autoscaling   # a review branch for a pull request
  mlops autoscale disable --env test jukebox --clone https://git.example.com/team/mlops-gitops.git --yes";

pub(super) const STATUS: &str = "\
Examples:
  mlops autoscale status
  mlops autoscale status --remote-branch      # what Argo CD deploys, after a fetch
  mlops autoscale status --env test --output json
  mlops autoscale status --output json | jq -r '.[] | select(.autoscaler != \"off\") | .model'";

pub(super) const SET: &str = "\
Examples:
  # The workshop's deploy step (what its pipeline did with yq and git)
  mlops set --env test jukebox version=4562a17c17 \\
    image_repository=image-registry.openshift-image-registry.svc:5000 image_namespace=user1-test

  # prod through a pull request: a review branch, without switching branches
  mlops set prod/jukebox version=4562a17c17 --branch jukebox-4562a17c17

  # typed values: a boolean and a number rather than strings
  mlops set --env test jukebox keda:=true replicas:=2

  # nested values, as helm --set addresses them
  mlops set test/jukebox image.tag=v2 resources.limits.cpu=500m env[0].value=debug
  mlops set test/jukebox 'podAnnotations.prometheus\\.io/scrape=true'";

pub(super) const LOG: &str = "\
Examples:
  mlops log --env prod jukebox
  mlops log --env prod --key autoscaler --max-count 5
  mlops log test/jukebox --output json";

pub(super) const COMPLETIONS: &str = "\
Examples:
  # bash, also in a code-server terminal: this shell and every new one
  source <(mlops completions bash) && echo 'source <(mlops completions bash)' >> ~/.bashrc

  echo 'source <(mlops completions zsh)' >> ~/.zshrc      # after compinit
  mlops completions fish > ~/.config/fish/completions/mlops.fish
  mlops completions powershell >> $PROFILE
  echo 'eval (mlops completions elvish | slurp)' >> ~/.config/elvish/rc.elv";

pub(super) const MAN: &str = "\
Examples:
  mlops man | man -l -
  mlops man --out-dir ~/.local/share/man/man1";

pub(super) const DEMO: &str = "\
Examples:
  mlops demo
  mlops demo --keep";
