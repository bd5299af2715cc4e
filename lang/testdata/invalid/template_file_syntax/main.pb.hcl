template "t" {
  file = "prompts/t.tmpl"
}

template "u" {
  file = "../t.tmpl" # ERROR: Path outside the project
}
