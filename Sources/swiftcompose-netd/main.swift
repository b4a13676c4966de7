print("netd")
