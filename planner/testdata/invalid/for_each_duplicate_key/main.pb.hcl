input "langs" {
  value = ["en", "fr", "en"]
}

provider "m" {
  type = "mock"
}

template "t" {
  text = "${each_key}"
}

run "r" {
  for_each = input.langs # ERROR: Invalid for_each argument
  template = template.t
  provider = provider.m
  vars     = { each_key = each.key }
}
