provider "p" { # ERROR: Missing required argument
  model = "x"
}

provider "q" { # ERROR: Missing required argument
  type = "openai"
}

template "t" {
  text = "hi"
}

run "a" { # ERROR: Missing required argument
  template = template.t
}
