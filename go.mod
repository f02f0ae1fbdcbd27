module github.com/cofferhq/coffer

go 1.26.8
