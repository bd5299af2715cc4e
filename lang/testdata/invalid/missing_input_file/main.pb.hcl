input "readme" {
  file = "README.md" # ERROR: Missing input file
}

input "escape" {
  file = "../etc/passwd" # ERROR: Path outside the project
}

input "pattern" {
  glob = "docs/[a" # ERROR: Invalid glob pattern
}
