" ftdetect/nn.vim - descent experiment files (.nn) get the nn syntax (editors/vim).
autocmd BufRead,BufNewFile *.nn setfiletype nn
