variable "tone" {
  default = "neutral"
}

input "readme" {
  value = "a"
}
