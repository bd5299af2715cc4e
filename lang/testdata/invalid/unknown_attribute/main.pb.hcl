provider "p" {
  type = "mock"
}

template "t" {
  text = "hi"
}

run "a" {
  template   = template.t
  provider   = provider.p
  temprature = 0 # ERROR: Unsupported argument
}
