"""Hostile: wait for a keyboard that is not there."""
name = input("your name: ")
print("hello", name)
