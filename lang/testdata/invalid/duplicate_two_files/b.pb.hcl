variable "tone" { # ERROR: Duplicate variable declaration
  default = "casual"
}

input "readme" { # ERROR: Duplicate input declaration
  value = "b"
}
