provider "m" {
  type = "mock"
}

template "t" {
  text = "hi"
}

run "r" {
  for_each = { good = { top_p = 0.5 }, bad = "top_p=0.5" }
  template = template.t
  provider = provider.m
  params   = each.value # ERROR: Invalid params
}
