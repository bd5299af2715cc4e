provider "p" {
  type = "mock"
}

template "t" {
  system = "You speak ${lang}." # ERROR: Undefined template variable
  text   = "Hello ${name}, ${greeting}" # ERROR: Undefined template variable
}

run "a" {
  template = template.t
  provider = provider.p
  vars     = { greeting = "hi", name = "Ann" }
}

run "b" {
  template = template.t
  provider = provider.p
  vars     = { lang = "en", greeting = "hi" }
}
